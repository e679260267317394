// Small shared components: every screen shows loading, error, empty and success states the same
// way, and every input has a label, a hint and its API error next to it (text, not colour only).
import { useEffect, useRef, useState, useCallback } from "preact/hooks";
import { html } from "./html.js";
import { t } from "./i18n.js";
import { errorKind } from "./api.js";

/**
 * @template T
 * @typedef {{status: "loading" | "error" | "ready", data?: T, error?: unknown}} Load
 */

/**
 * Load `fn()` when `deps` change; `reload()` loads again (keeping the data shown meanwhile).
 * With `initial` (an answer already there, api.early), the first state is ready with it and the
 * first load is skipped: no loading notice, no second request; later `deps` changes load.
 * @template T @param {() => Promise<T>} fn @param {unknown[]} deps @param {T} [initial]
 * @returns {[Load<T>, () => Promise<void>, (data: T) => void]}
 */
export function useLoad(fn, deps, initial) {
  const [state, setState] = useState(
    /** @returns {Load<T>} */ () => (initial === undefined ? { status: "loading" } : { status: "ready", data: initial }),
  );
  const latest = useRef(0);
  const skipFirst = useRef(initial !== undefined);
  const reload = useCallback(async () => {
    const n = ++latest.current;
    try {
      const data = await fn();
      if (n === latest.current) setState({ status: "ready", data });
    } catch (error) {
      if (n === latest.current) setState({ status: "error", error });
    }
  }, deps);
  useEffect(() => {
    if (skipFirst.current) {
      skipFirst.current = false;
      return;
    }
    setState({ status: "loading" });
    reload();
  }, [reload]);
  return [state, reload, (data) => setState({ status: "ready", data })];
}

/** A message for any error, by kind (403: not allowed, 404, network, server). @param {unknown} error */
export function errorMessage(error) {
  const kind = errorKind(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (kind === "forbidden") return t("error.forbidden");
  if (kind === "not_found") return t("error.not_found");
  if (kind === "network") return t("error.network");
  if (kind === "server") return t("error.server");
  return detail;
}

/** @param {{error: unknown, retry?: () => void}} props */
export function ErrorBox({ error, retry }) {
  const kind = errorKind(error);
  return html`<div class="notice error" role="alert" data-state="error" data-kind=${kind}>
    <strong>${kind === "forbidden" ? t("error.forbidden_title") : t("error.title")}</strong>
    <p>${errorMessage(error)}</p>
    ${kind !== "forbidden" && kind !== "invalid" && error instanceof Error && error.message
      ? html`<p class="detail">${error.message}</p>`
      : null}
    ${retry && kind !== "forbidden" ? html`<button type="button" onClick=${retry}>${t("action.retry")}</button>` : null}
  </div>`;
}

/** The loading notice: data and screens that are still on their way. */
export function Loading() {
  return html`<p class="notice loading" role="status" data-state="loading"><span class="spinner" aria-hidden="true"></span>${t("state.loading")}</p>`;
}

/**
 * A screen whose code is fetched the first time it is shown: `load` is a dynamic import, which
 * the build turns into a chunk of its own, so the first screen a tab opens on waits only for the
 * code it shows. Until the chunk is there the loading notice shows; if it cannot be fetched, the
 * error notice, whose retry reloads the page (after a deploy the old chunks are gone, and only
 * the new app knows the new ones). Once loaded, the screen renders at once, every time.
 * @template P
 * @param {() => Promise<import("preact").ComponentType<P>>} load
 * @returns {import("preact").FunctionComponent<P>}
 */
export function lazyScreen(load) {
  /** @type {import("preact").ComponentType<P> | null} */
  let loaded = null;
  /** @type {Promise<unknown> | null} */
  let pending = null;
  const fetchOnce = () =>
    (pending ||= load().then(
      (component) => (loaded = component),
      (error) => {
        pending = null;
        throw error;
      },
    ));
  return function LazyScreen(props) {
    const [error, setError] = useState(/** @type {unknown} */ (null));
    const [, setReady] = useState(false);
    useEffect(() => {
      if (loaded) return undefined;
      let shown = true;
      fetchOnce().then(
        () => shown && setReady(true),
        (failure) => shown && setError(failure),
      );
      return () => {
        shown = false;
      };
    }, []);
    if (loaded) return html`<${loaded} ...${props} />`;
    if (error) return html`<${ErrorBox} error=${error} retry=${() => location.reload()} />`;
    return html`<${Loading} />`;
  };
}

/**
 * The four states of a screen's data: loading, error, empty, success.
 * @template T
 * @param {{load: Load<T>, retry?: () => void, empty?: (data: T) => boolean, emptyText?: string, children: (data: T) => any}} props
 */
export function Loadable({ load, retry, empty, emptyText, children }) {
  if (load.status === "loading") return html`<${Loading} />`;
  if (load.status === "error") return html`<${ErrorBox} error=${load.error} retry=${retry} />`;
  const isEmpty = empty ? empty(load.data) : Array.isArray(load.data) && load.data.length === 0;
  if (isEmpty) return html`<p class="notice empty" data-state="empty">${emptyText || t("state.empty")}</p>`;
  return html`<div data-state="ready">${children(load.data)}</div>`;
}

/**
 * A labelled input with its hint and error.
 * @param {{id: string, label: string, error?: string | null, hint?: any, children: any, counter?: string}} props
 */
export function Field({ id, label, error, hint, children, counter }) {
  return html`<div class=${"field" + (error ? " invalid" : "")}>
    <label for=${id}>${label}</label>
    ${children}
    ${counter ? html`<span class="counter" id=${id + "-count"} aria-live="polite">${counter}</span>` : null}
    ${hint ? html`<p class="hint" id=${id + "-hint"}>${hint}</p>` : null}
    ${error ? html`<p class="field-error" id=${id + "-err"} role="alert"><span aria-hidden="true">⚠ </span>${error}</p>` : null}
  </div>`;
}

/** aria props that tie an input to its hint and error. @param {string} id @param {string | null | undefined} error @param {boolean} [hint] */
export function describedBy(id, error, hint = false) {
  const ids = [hint ? id + "-hint" : "", error ? id + "-err" : ""].filter(Boolean).join(" ");
  return { "aria-describedby": ids || undefined, "aria-invalid": error ? "true" : undefined };
}

/** The path of an API field as an element id. @param {string} path */
export function fieldId(path) {
  return "f-" + path.replace(/[^a-zA-Z0-9_-]+/g, "-");
}

/** No page has been shown yet: the first one does not take focus (see Page). */
let firstPage = true;

/** Every page from now on takes focus, the next one included (after the sign-in screen, say). */
export function focusPages() {
  firstPage = false;
}

/**
 * A screen's frame: its heading sets the document title and, once the user has moved on from
 * the first screen, takes focus, so keyboard and screen-reader users land on the new screen.
 * The first screen leaves focus where the browser put it (the document start, as on any page
 * load), and its first paint is spared the focus change. A page shown after the sign-in screen
 * is a change of screen: it takes focus (focusPages).
 * @param {{title: string, actions?: any, children: any}} props
 */
export function Page({ title, actions, children }) {
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));
  useEffect(() => {
    document.title = `${title} — xsell`;
    if (firstPage) firstPage = false;
    else heading.current?.focus({ preventScroll: true });
  }, [title]);
  return html`<section class="page">
    <header class="page-head">
      <h1 tabindex="-1" ref=${heading}>${title}</h1>
      ${actions ? html`<div class="actions">${actions}</div>` : null}
    </header>
    ${children}
  </section>`;
}

/** A status label: icon and text, colour only as an extra. @param {{tone?: string, children: any}} props */
export function Badge({ tone = "neutral", children }) {
  const icons = { ok: "✓", warn: "!", bad: "✕", info: "•", neutral: "•" };
  return html`<span class=${"badge " + tone}><span aria-hidden="true">${icons[tone] || "•"} </span>${children}</span>`;
}

/** @param {{text: string, label?: string}} props */
export function CopyButton({ text, label }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(true);
      setTimeout(() => setDone(false), 2000);
    } catch {
      setDone(false);
    }
  };
  return html`<button type="button" class="copy" onClick=${copy} aria-label=${label || t("action.copy")}>
    ${done ? t("action.copied") : t("action.copy")}
  </button>`;
}

/** A code block with a copy button. @param {{label: string, code: string, id: string}} props */
export function CodeBlock({ label, code, id }) {
  return html`<figure class="code">
    <figcaption id=${id}>${label} <${CopyButton} text=${code} label=${t("action.copy_named", { name: label })} /></figcaption>
    <pre tabindex="0" aria-labelledby=${id}><code>${code}</code></pre>
  </figure>`;
}

/** A proportion bar with its numbers in text. @param {{used: number, limit: number, label: string}} props */
export function Bar({ used, limit, label }) {
  const share = limit > 0 ? Math.min(1, used / limit) : 0;
  const tone = share >= 1 ? "bad" : share >= 0.8 ? "warn" : "ok";
  return html`<div class="bar-wrap">
    <div class=${"bar " + tone} role="meter" aria-label=${label} aria-valuemin="0" aria-valuemax=${limit} aria-valuenow=${Math.min(used, limit)}>
      <div class="bar-fill" style=${{ width: `${(share * 100).toFixed(1)}%` }}></div>
    </div>
  </div>`;
}
