// Immutable edits of JSON documents by path ("caps[0].limit"), and the clean-up before a save.

/** @param {string} path @returns {(string | number)[]} */
export function parsePath(path) {
  const out = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/** @param {any} obj @param {string} path */
export function getIn(obj, path) {
  return parsePath(path).reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
}

/** A copy of `obj` with `path` set to `value` (undefined removes a key). @param {any} obj @param {string} path @param {unknown} value */
export function setIn(obj, path, value) {
  const keys = parsePath(path);
  /** @param {any} o @param {number} i @returns {any} */
  const go = (o, i) => {
    const k = keys[i];
    const base = Array.isArray(o) ? o.slice() : { ...(o && typeof o === "object" ? o : typeof k === "number" ? [] : {}) };
    const container = typeof k === "number" && !Array.isArray(o) ? [] : base;
    if (i === keys.length - 1) {
      if (value === undefined && !Array.isArray(container)) delete container[k];
      else container[k] = value;
    } else container[k] = go(o ? o[k] : undefined, i + 1);
    return container;
  };
  return go(obj, 0);
}

/** Drop keys whose value is undefined, "", an empty object or an empty list (recursively). @param {any} value */
export function compact(value) {
  if (Array.isArray(value)) return value.map(compact);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const c = compact(v);
      if (c === undefined || c === "" || (Array.isArray(c) && c.length === 0)) continue;
      if (c && typeof c === "object" && !Array.isArray(c) && Object.keys(c).length === 0) continue;
      out[k] = c;
    }
    return out;
  }
  return value;
}

/** "12" -> 12, "" -> undefined, anything else as typed (the API says what is wrong). @param {string} text */
export function numberOrText(text) {
  const s = text.trim();
  if (s === "") return undefined;
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}
