// Draw a QR code into a <canvas>: qrcode-generator (npm, pinned in package-lock.json,
// copied to static/vendor/ by `make setup`) makes the modules, the canvas draws them.
// No image URL, so nothing for the Content-Security-Policy to refuse.

import qrcode from "./vendor/qrcode.mjs";

function utf8(text) {
  return [...new TextEncoder().encode(text)];
}

/** Draw `text` into `canvas`, `size` CSS pixels square, with a quiet zone of 4 modules. */
export function drawQr(canvas, text, size) {
  qrcode.stringToBytes = utf8; // the library's default keeps one byte of each character
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  const count = code.getModuleCount();
  const quiet = 4;
  const scale = window.devicePixelRatio || 1;
  const pixels = Math.floor((size * scale) / (count + 2 * quiet)) || 1;
  const side = pixels * (count + 2 * quiet);
  canvas.width = side;
  canvas.height = side;
  canvas.style.width = `${side / scale}px`;
  canvas.style.height = `${side / scale}px`;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, side, side);
  context.fillStyle = "#000";
  for (let row = 0; row < count; row += 1) {
    for (let column = 0; column < count; column += 1) {
      if (code.isDark(row, column)) context.fillRect((column + quiet) * pixels, (row + quiet) * pixels, pixels, pixels);
    }
  }
  canvas.dataset.content = text;
  canvas.dataset.modules = String(count);
  return count;
}
