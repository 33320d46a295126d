// Building elements, for every page: the screens, the desk and the kiosk.

// A new element: its classes, its text (none when null or undefined) and its test id.
export function element(tag, className, text, testid) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  if (testid) node.dataset.testid = testid;
  return node;
}
