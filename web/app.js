/*
 * ragops dashboard: the shell.  Hash routes (#/ask, #/runs, #/runs/ID,
 * #/releases, #/releases/ID, #/deployments, #/quality, #/feedback), the FR/EN switch, and
 * the small components the views share (state badges, error boxes, tables,
 * the admin token).  Views live in ask.js, runs.js, releases.js, quality.js
 * and feedback.js; each renders from the data it keeps, so switching
 * language redraws the page without asking the server again.
 */
"use strict";

(function (RG) {
	const {h, t} = RG;

	/* A state badge for runs, tasks, health checks and releases. */
	function badge(kind, value) {
		const v = value === null || value === undefined ? "unknown" : String(value);
		return h("span.badge", {"class": "badge-" + v.replace(/[^a-z_]/gi, ""), "data-state": v},
			t(kind + "." + v, null, v));
	}

	/*
	 * An error from RG.api as a visible alert.  context names the request
	 * ("ask", "feedback", "export", "admin", ...) for the messages that
	 * depend on it; "admin" is an admin route other than the export.  The
	 * server's own message follows as the detail.
	 */
	function errorBox(err, context) {
		const box = h("div.alert.alert-error", {role: "alert", "data-testid": "error"});
		let text;
		const st = err && err.status;
		const detail = err && err.message && st !== 0 ? err.message : "";
		if (!(err instanceof RG.ApiError)) {
			text = t("err.unexpected");
		} else if (st === 0) {
			text = t("err.network");
		} else if (st === 429) {
			text = t("err.rate", {s: err.retryAfter === null ? "?" : err.retryAfter});
			if (err.retryAfter) countdown(box, err.retryAfter);
		} else if (st === 400 || st === 413 || st === 422) {
			text = err.field ? t("err.badField", {field: err.field}) : t("err.bad");
		} else if (st === 401) {
			text = t(context === "export" || context === "admin" ? "err.token" : "err.auth");
		} else if (st === 403) {
			text = t(context === "export" ? "err.exportOff" : context === "admin" ? "err.adminOff" : "err.forbidden");
		} else if (st === 404) {
			text = t(context === "run" ? "err.noRun" : context === "release" ? "err.noRelease" : "err.notFound");
		} else if (st === 409) {
			text = t("err.conflict");
		} else if (st === 503 && context === "ask") {
			text = t("err.emptyIndex");
		} else {
			text = t("err.server", {status: st});
		}
		box.appendChild(h("p.alert-title", {"data-role": "message"}, text));
		if (detail) box.appendChild(h("p.alert-detail", null, t("err.detail"), " ", h("span", {lang: "en"}, detail)));
		return box;
	}

	/* Counts a 429's Retry-After down inside its alert. */
	function countdown(box, seconds) {
		const end = Date.now() + seconds * 1000;
		const tick = () => {
			const msg = box.querySelector("[data-role=message]");
			if (!box.isConnected || !msg) return;
			const left = Math.ceil((end - Date.now()) / 1000);
			msg.textContent = left > 0 ? t("err.rate", {s: left}) : t("err.rateDone");
			if (left > 0) setTimeout(tick, 1000);
		};
		setTimeout(tick, 1000);
	}

	/* A 1..5 rating as stars, read out as "2 out of 5". */
	function stars(n) {
		const r = Math.max(0, Math.min(5, Math.round(Number(n) || 0)));
		return h("span.stars", {role: "img", "aria-label": t("fb.stars", {n: r}), title: t("fb.stars", {n: r}), "data-rating": r},
			h("span.on", null, "★".repeat(r)), h("span.off", null, "★".repeat(5 - r)));
	}

	/* A file path that may break after its slashes, not inside names. */
	function path(p) {
		const parts = String(p === null || p === undefined ? "" : p).split("/");
		return h("code.path", {title: p}, parts.map((x, i) => i < parts.length - 1 ?
			[h("span.seg", null, x + "/"), h("wbr")] : h("span.seg", null, x)));
	}

	/*
	 * The admin token, typed once on the Feedback page and kept in this
	 * tab's sessionStorage (never localStorage); "" when there is none.
	 */
	const TOKEN_KEY = "ragops.adminToken";
	function adminToken() {
		return (RG.storageGet("sessionStorage", TOKEN_KEY) || "").trim();
	}
	function setAdminToken(v) {
		RG.storageSet("sessionStorage", TOKEN_KEY, String(v || "").trim());
	}

	/* "This needs the admin token. Enter it (Feedback page)": what is asked names the action. */
	function tokenNeeded(what) {
		return h("p.field-error", {role: "alert", "data-testid": "token-needed"}, what, " ",
			h("a", {href: "#/feedback"}, t("runs.tokenLink")));
	}

	function loading() {
		return h("p.loading", {role: "status"}, h("span.spinner", {"aria-hidden": "true"}), t("common.loading"));
	}

	/*
	 * A table that turns into labelled cards on a phone: cols are
	 * {label, cell(row) -> node|string, num, wrap, head, wide}.  Cells
	 * stay on one line unless wrap.  With opts.cls "compact" a phone packs
	 * a row's cells on a line or two instead: head cells go unlabelled,
	 * wide ones take a line of their own.
	 */
	function table(cols, rows, opts) {
		opts = opts || {};
		return h("div.table-wrap", null,
			h("table", {"class": "data " + (opts.cls || ""), "data-testid": opts.testid || null},
				opts.caption ? h("caption.sr-only", null, opts.caption) : null,
				h("thead", null, h("tr", null, cols.map((c) =>
					h("th", {scope: "col", "class": c.num ? "num" : null}, c.label)))),
				h("tbody", null, rows.map((r) => {
					const tr = h("tr", {"data-testid": opts.rowTestid || null, "class": opts.rowClass ? opts.rowClass(r) : null},
						cols.map((c) => {
							const v = c.cell(r);
							const cls = [c.num ? "num" : "", c.wide ? "wide" : "", c.head ? "head" : "",
								c.wrap ? "wrap" : "", v === "—" ? "empty-cell" : ""].join(" ");
							return h("td", {"data-label": c.label, "class": cls}, v);
						}));
					if (opts.rowHref) {
						tr.classList.add("clickable");
						tr.addEventListener("click", (e) => {
							if (e.target.closest("a,button")) return;
							location.hash = opts.rowHref(r);
						});
					}
					return tr;
				}))));
	}

	function pageHeader(title, ...extra) {
		return h("div.page-head", null,
			h("h1#page-title", {tabindex: "-1", "data-testid": "page-title"}, title),
			extra);
	}

	/* ---- routing ---- */

	const routes = {
		ask: () => RG.askView,
		runs: () => RG.runsView,
		run: () => RG.runView,
		releases: () => RG.releasesView,
		release: () => RG.releaseView,
		quality: () => RG.qualityView,
		feedback: () => RG.feedbackView,
		deployments: () => RG.deploymentsView,
	};
	let current = {name: null, param: null};

	function parseHash() {
		const m = /^#\/(ask|runs|releases|deployments|quality|feedback)(?:\/([^/?#]+))?\/?$/.exec(location.hash);
		if (!m) return null;
		if (m[1] === "runs" && m[2]) return {name: "run", param: decodeURIComponent(m[2])};
		if (m[1] === "releases" && m[2]) return {name: "release", param: decodeURIComponent(m[2])};
		return {name: m[1], param: null};
	}

	function onHash() {
		const r = parseHash();
		if (!r) {
			history.replaceState(null, "", "#/ask");
			return show({name: "ask", param: null}, true, false);
		}
		const moved = current.name !== null;
		show(r, true, moved);
	}

	/* Draw the route; reload asks the view to fetch fresh data. */
	function show(r, reload, focus) {
		current = r;
		const main = document.getElementById("main");
		RG.clear(main);
		const navName = r.name === "run" ? "runs" : r.name === "release" ? "releases" : r.name;
		for (const a of document.querySelectorAll("nav.tabs a")) {
			if (a.dataset.route === navName) a.setAttribute("aria-current", "page");
			else a.removeAttribute("aria-current");
		}
		document.title = t("title." + r.name, {id: r.param}) + " · ragops";
		routes[r.name]().render(main, r.param, reload);
		if (focus) {
			const h1 = document.getElementById("page-title");
			if (h1) h1.focus({preventScroll: false});
			window.scrollTo(0, 0);
		}
	}

	/* Redraw the current route without reloading (language switch, data arrived). */
	function redraw(name) {
		if (name && current.name !== name) return;
		const y = window.scrollY;
		const a = document.activeElement;
		const active = a && a.id;
		let sel = null;
		try {
			sel = a && typeof a.selectionStart === "number" ? [a.selectionStart, a.selectionEnd] : null;
		} catch (e) {
			sel = null; /* inputs without a text selection (number, radio) throw */
		}
		show(current, false, false);
		window.scrollTo(0, y);
		if (active) {
			const el = document.getElementById(active);
			if (el) {
				el.focus({preventScroll: true});
				if (sel && typeof el.setSelectionRange === "function") {
					try {
						el.setSelectionRange(sel[0], sel[1]);
					} catch (e) {
						/* not a text field */
					}
				}
			}
		}
	}

	function isCurrent(name, param) {
		return current.name === name && (param === undefined || String(current.param) === String(param));
	}

	/* ---- language ---- */

	function applyStatic() {
		document.documentElement.lang = RG.lang();
		for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
		for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
		for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === RG.lang()));
	}

	function start() {
		for (const b of document.querySelectorAll("[data-lang]")) {
			b.addEventListener("click", () => {
				RG.setLang(b.dataset.lang);
				applyStatic();
				redraw();
			});
		}
		applyStatic();
		window.addEventListener("hashchange", onHash);
		onHash();
	}

	Object.assign(RG, {badge, errorBox, stars, path, loading, table, pageHeader, redraw, isCurrent,
		adminToken, setAdminToken, tokenNeeded});
	document.addEventListener("DOMContentLoaded", start);
})(window.RG);
