/*
 * ragops dashboard: DOM helpers and the API client.
 *
 * Every element is built with h(), which only ever sets text through
 * textContent, so text from the server (answers, snippets, file names,
 * error messages) can never become markup.  Snippets mark matched words
 * with **bold**; marked() turns them into <mark> elements the same way.
 */
"use strict";
window.RG = window.RG || {};

(function (RG) {
	/*
	 * h("tag.class#id", {attr: value, on: {click: fn}}, child, ...):
	 * children are nodes, strings (text), arrays, or null/false (skipped).
	 */
	function h(spec, attrs, ...children) {
		const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
		const tag = (m && m[1]) || "div";
		const svg = tag === "svg" || (attrs && attrs.svg);
		const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag)
			: document.createElement(tag);
		if (m && m[2]) {
			for (const part of m[2].match(/[.#][\w-]+/g)) {
				if (part[0] === ".") el.classList.add(part.slice(1));
				else el.id = part.slice(1);
			}
		}
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false || k === "svg") continue;
			if (k === "on") {
				for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
			} else if (k === "text") {
				el.textContent = v;
			} else if (k === "class") {
				for (const c of String(v).split(/\s+/).filter(Boolean)) el.classList.add(c);
			} else if (k === "value" && !svg) {
				el.value = v;
			} else if (k === "checked" || k === "disabled" || k === "selected") {
				el[k] = !!v;
			} else {
				el.setAttribute(k, v === true ? "" : String(v));
			}
		}
		append(el, children);
		return el;
	}

	function append(el, children) {
		for (const c of children) {
			if (c === null || c === undefined || c === false) continue;
			if (Array.isArray(c)) append(el, c);
			else if (c instanceof Node) el.appendChild(c);
			else el.appendChild(document.createTextNode(String(c)));
		}
		return el;
	}

	/* SVG element: same as h() but in the SVG namespace. */
	function s(tag, attrs, ...children) {
		return h(tag, Object.assign({svg: true}, attrs || {}), ...children);
	}

	/* "a **b** c" -> [text "a ", <mark>b</mark>, text " c"]; unmatched ** stays text */
	function marked(text) {
		const out = [];
		const str = String(text || "");
		const re = /\*\*([^*]+?)\*\*/g;
		let last = 0, m;
		while ((m = re.exec(str)) !== null) {
			if (m.index > last) out.push(str.slice(last, m.index));
			out.push(h("mark", {text: m[1]}));
			last = re.lastIndex;
		}
		if (last < str.length) out.push(str.slice(last));
		return out;
	}

	function clear(el) {
		while (el.firstChild) el.removeChild(el.firstChild);
		return el;
	}

	/*
	 * An API failure: status (0 when the server could not be reached),
	 * the server's message and field, and Retry-After seconds for a 429.
	 */
	class ApiError extends Error {
		constructor(status, message, field, retryAfter, body) {
			super(message || "HTTP " + status);
			this.status = status;
			this.field = field || null;
			this.retryAfter = retryAfter;
			this.body = body || null;
		}
	}

	/*
	 * api(path, {method, body, headers, accept}) -> parsed JSON.  Paths are
	 * relative ("api/ask") so the dashboard also works under a prefix behind
	 * a proxy.  accept: [statuses] returned as data rather than thrown (the
	 * health report is JSON with HTTP 503 when down).  raw: true returns the
	 * Response for a download.
	 */
	async function api(path, opts) {
		opts = opts || {};
		const init = {method: opts.method || "GET", headers: Object.assign({Accept: "application/json"}, opts.headers || {})};
		if (opts.body !== undefined) {
			init.headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(opts.body);
		}
		let res;
		try {
			res = await fetch(path, init);
		} catch (e) {
			throw new ApiError(0, e && e.message);
		}
		if (res.ok && opts.raw) return res;
		const text = await res.text();
		let data = null;
		try {
			data = text ? JSON.parse(text) : null;
		} catch (e) {
			data = null;
		}
		if (res.ok || (opts.accept && opts.accept.includes(res.status))) {
			if (data === null && text) throw new ApiError(res.status, "invalid JSON from the server");
			return data;
		}
		const ra = parseInt(res.headers.get("Retry-After") || "", 10);
		const msg = data && typeof data.error === "string" ? data.error : (text || "").slice(0, 200).trim();
		throw new ApiError(res.status, msg, data && data.field, isNaN(ra) ? null : ra, data);
	}

	function debounce(fn, ms) {
		let t = null;
		return function (...args) {
			clearTimeout(t);
			t = setTimeout(() => fn.apply(this, args), ms);
		};
	}

	/* Save a Blob as a file through a temporary object URL. */
	function download(blob, name) {
		const url = URL.createObjectURL(blob);
		const a = h("a", {href: url, download: name, hidden: true});
		document.body.appendChild(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(url), 10000);
	}

	function storageGet(store, key) {
		try {
			return window[store].getItem(key);
		} catch (e) {
			return null;
		}
	}
	function storageSet(store, key, value) {
		try {
			if (value === null || value === "") window[store].removeItem(key);
			else window[store].setItem(key, value);
		} catch (e) {
			/* private mode or storage disabled: the setting lasts this page */
		}
	}

	let uid = 0;
	function nextId(prefix) {
		uid += 1;
		return prefix + "-" + uid;
	}

	Object.assign(RG, {h, s, append, marked, clear, api, ApiError, debounce, download,
		storageGet, storageSet, nextId});
})(window.RG);
