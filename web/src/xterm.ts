// xterm.js for the terminal page, in its own chunk: loaded when a terminal opens, so the
// first load stays small. It imports nothing of the page's own.
//
// The page's CSP allows no inline style (`style-src 'self'`), and xterm.js styles its rows
// through <style> elements and `setAttribute('style', …)`, both refused by it. Rather than
// loosening the policy, the same styles go in through the CSS object model, which a CSP does
// not govern: the <style> elements xterm.js makes are inert `<uc-style>` ones (it only sets
// their text and removes them), whose text goes into a constructed sheet adopted by the
// document, and a `style` attribute is set as `style.cssText`.
import { Terminal } from '@xterm/xterm';

export interface Screen {
  cols: number;
  rows: number;
  text: string;
}

export interface Term {
  /** Draws the pane's screen at the pane's size. */
  screen(screen: Screen): void;
  /** What the pane printed. */
  write(bytes: Uint8Array): void;
  focus(): void;
  dispose(): void;
}

/** Readable on a phone; any wider pane scrolls sideways in its box. */
const FONT = { min: 9, max: 14 };
/** A monospace character's width for its font size, about. */
const CHAR_WIDTH = 0.6;

export function mount(box: HTMLElement, readOnly: boolean, onData: (data: string) => void): Term {
  const unmirror = mirrorStyles(box);
  const term = new Terminal({
    disableStdin: readOnly,
    cursorBlink: !readOnly,
    scrollback: 1000,
    fontSize: FONT.max,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    theme: { background: '#101216', foreground: '#e6e6e6', cursor: '#7aa2f7' },
  });
  term.open(box);
  const typed = readOnly ? null : term.onData(onData);
  // The font follows the box's width (a turned phone, a resized window).
  const fit = () => {
    const width = box.clientWidth || term.cols * FONT.max * CHAR_WIDTH;
    const size = Math.max(FONT.min, Math.min(FONT.max, Math.floor(width / (term.cols * CHAR_WIDTH))));
    if (term.options.fontSize !== size) term.options.fontSize = size;
  };
  const resized = new ResizeObserver(fit);
  resized.observe(box);
  return {
    screen({ cols, rows, text }) {
      term.reset();
      term.resize(cols, rows);
      fit();
      term.write(text);
    },
    write: (bytes) => term.write(bytes),
    focus: () => term.focus(),
    dispose() {
      resized.disconnect();
      typed?.dispose();
      term.dispose();
      unmirror();
    },
  };
}

/** Styles xterm.js writes under `box`, applied through the CSS object model; answers what
 * stops it and takes them away. */
function mirrorStyles(box: HTMLElement): () => void {
  patchStyles();
  const sheets = new Map<Element, CSSStyleSheet>();
  const sync = () => {
    for (const [el, sheet] of sheets) {
      if (!box.contains(el)) {
        sheets.delete(el);
        document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
      }
    }
    for (const el of box.querySelectorAll(INERT_STYLE)) {
      let sheet = sheets.get(el);
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheets.set(el, sheet);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      }
      sheet.replaceSync(el.textContent ?? '');
    }
  };
  const observer = new MutationObserver(sync);
  observer.observe(box, { subtree: true, childList: true, characterData: true });
  return () => {
    observer.disconnect();
    const ours = new Set(sheets.values());
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => !ours.has(s));
  };
}

/** What `createElement('style')` makes instead (style.css hides it). */
const INERT_STYLE = 'uc-style';
let patched = false;

/** `createElement('style')` makes an inert element, and `setAttribute('style', …)` sets
 * `style.cssText`: the page itself makes no <style> and sets styles through `style` only
 * (Preact too), so nothing else changes. */
function patchStyles(): void {
  if (patched) return;
  patched = true;
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (this: Document, tag: string, options?: ElementCreationOptions) {
    return createElement.call(this, tag.toLowerCase() === 'style' ? INERT_STYLE : tag, options);
  } as typeof Document.prototype.createElement;
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (this: Element, name: string, value: string) {
    // xterm.js builds its rows before attaching them: the element may be in no document yet.
    if (name === 'style' && (this instanceof HTMLElement || this instanceof SVGElement)) {
      this.style.cssText = value;
      return;
    }
    setAttribute.call(this, name, value);
  };
}
