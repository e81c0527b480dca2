/*
 * ragops dashboard: the Runs pages.  The history (state, counts, duration)
 * and one run: its counts, parameters, documents and tasks.  A run can have
 * thousands of tasks: failed ones come first, a state filter and a
 * document filter narrow them, and they are shown a page at a time.
 */
"use strict";

(function (RG) {
	const {h, t, fmt} = RG;
	const TASK_PAGE = 50;
	const REFRESH_MS = 5000;

	const list = {items: null, error: null, loading: false, gen: 0, start: null};
	const detail = {id: null, run: null, error: null, loading: false, gen: 0,
		state: "", filter: "", shown: TASK_PAGE, docsShown: TASK_PAGE};
	let timer = null;

	function refreshLater(name, param, fn) {
		clearTimeout(timer);
		timer = setTimeout(() => { if (RG.isCurrent(name, param)) fn(); }, REFRESH_MS);
	}

	async function loadList() {
		const gen = ++list.gen;
		list.loading = true;
		try {
			const j = await RG.api("api/runs?limit=50");
			if (gen !== list.gen) return;
			list.items = j.items || [];
			list.error = null;
		} catch (e) {
			if (gen !== list.gen) return;
			list.error = e;
		}
		list.loading = false;
		RG.redraw("runs");
		if (list.items && list.items.some((r) => r.state === "running")) refreshLater("runs", undefined, loadList);
	}

	async function loadRun(id) {
		const gen = ++detail.gen;
		detail.loading = true;
		try {
			const j = await RG.api("api/runs/" + encodeURIComponent(id));
			if (gen !== detail.gen) return;
			detail.run = j;
			detail.error = null;
		} catch (e) {
			if (gen !== detail.gen) return;
			detail.error = e;
			detail.run = null;
		}
		detail.loading = false;
		RG.redraw("run");
		if (detail.run && detail.run.state === "running") refreshLater("run", id, () => loadRun(id));
	}

	/* The document counts: "documents" in the list and in one run's detail alike. */
	function counts(r) {
		return r.documents || null;
	}

	function docsCell(r) {
		const c = counts(r);
		if (!c) return "—";
		const parts = [];
		if (c.new) parts.push(t("runs.new", {n: c.new}));
		if (c.changed) parts.push(t("runs.changed", {n: c.changed}));
		if (c.renamed) parts.push(t("runs.renamed", {n: c.renamed}));
		if (c.deleted) parts.push(t("runs.deleted", {n: c.deleted}));
		return h("span.docs", null,
			h("strong", null, fmt.num(c.seen, 0)),
			parts.length ? h("span.sub", null, " (" + parts.join(", ") + ")") : null,
			c.failed ? [" ", h("span.badge.badge-failed", null, t("runs.failedN", {n: c.failed}))] : null);
	}

	function runsTable(items) {
		return RG.table([
			{label: t("runs.id"), head: true, cell: (r) => h("a", {href: "#/runs/" + r.id, "data-testid": "run-link"}, "#" + r.id)},
			{label: t("runs.state"), head: true, cell: (r) => RG.badge("state", r.state)},
			{label: t("runs.started"), head: true, cell: (r) => h("time", {datetime: new Date(r.started_at_ms).toISOString()}, fmt.dateTime(r.started_at_ms))},
			{label: t("runs.duration"), num: true, cell: (r) => fmt.duration(r.duration_s)},
			{label: t("runs.documents"), wrap: true, cell: docsCell},
			{label: t("runs.pages"), num: true, cell: (r) => h("span", null, fmt.num(r.pages, 0),
				r.pages_needing_ocr ? h("span.sub", null, " · " + t("runs.ocrN", {n: fmt.num(r.pages_needing_ocr, 0)})) : null)},
			{label: t("runs.chunks"), num: true, cell: (r) => fmt.num(r.chunks, 0)},
			{label: t("runs.trigger"), cell: (r) => t("trigger." + r.trigger, null, r.trigger || "—")},
		], items, {cls: "compact", testid: "runs-table", rowTestid: "run-row", rowHref: (r) => "#/runs/" + r.id,
			caption: t("runs.title"), rowClass: (r) => r.error ? "has-error" : null});
	}

	/* POST /api/runs is an admin route: the token typed on the Feedback page. */
	async function startRun() {
		const token = RG.adminToken();
		if (!token) {
			list.start = {error: "token"};
			RG.redraw("runs");
			return;
		}
		list.start = {busy: true};
		RG.redraw("runs");
		try {
			await RG.api("api/runs", {method: "POST", headers: {Authorization: "Bearer " + token}});
			list.start = {ok: true};
		} catch (e) {
			list.start = {error: e};
		}
		RG.redraw("runs");
		/* the new run shows up once the pipeline has recorded it */
		setTimeout(loadList, 1000);
	}

	function startStatus() {
		const s = list.start;
		if (!s || s.busy) return null;
		if (s.ok) return h("p.notice.ok", {role: "status", "data-testid": "run-started"}, t("runs.launched"));
		if (s.error === "token") return RG.tokenNeeded(t("runs.needToken"));
		return RG.errorBox(s.error, "runs");
	}

	function renderList(root, param, reload) {
		root.appendChild(RG.pageHeader(t("runs.title"),
			h("div.head-actions", null,
				h("button#runs-start.btn", {type: "button", disabled: list.start && list.start.busy,
					on: {click: startRun}, "data-testid": "runs-start"}, t("runs.start")),
				h("button#runs-refresh.btn.btn-quiet", {type: "button", on: {click: loadList}, "data-testid": "runs-refresh"}, t("common.refresh")))));
		root.appendChild(h("p.lead", null, t("runs.lead")));
		const status = startStatus();
		if (status) root.appendChild(status);
		if (list.error) root.appendChild(RG.errorBox(list.error, "runs"));
		if (list.items === null) {
			if (!list.error) root.appendChild(RG.loading());
		} else if (!list.items.length) {
			root.appendChild(h("div.card.empty-card", null, h("p", null, t("runs.none")), h("p.hint", null, t("runs.noneHint"))));
		} else {
			root.appendChild(h("section.card.flush", null, runsTable(list.items)));
		}
		if (reload) loadList();
	}

	function fact(label, value, testid) {
		return h("div.fact", {"data-testid": testid || null}, h("dt", null, label), h("dd", null, value));
	}

	function summary(r) {
		const c = counts(r);
		return h("dl.facts", null,
			fact(t("runs.state"), RG.badge("state", r.state), "run-state"),
			fact(t("runs.trigger"), t("trigger." + r.trigger, null, r.trigger || "—")),
			fact(t("runs.started"), fmt.dateTime(r.started_at_ms)),
			fact(t("runs.ended"), r.ended_at_ms ? fmt.dateTime(r.ended_at_ms) : "—"),
			fact(t("runs.duration"), fmt.duration(r.duration_s)),
			c ? fact(t("runs.documents"), docsCell(r)) : null,
			fact(t("runs.pages"), fmt.num(r.pages, 0)),
			fact(t("runs.ocrPages"), fmt.num(r.pages_needing_ocr, 0)),
			r.ocr && r.ocr.pages ? fact(t("runs.ocrConf"), h("span", null, fmt.conf(r.ocr.mean_confidence),
				r.ocr.weak || r.ocr.failed ? h("span.sub", null, " · " + t("runs.ocrWeak", {w: r.ocr.weak || 0, f: r.ocr.failed || 0})) : null)) : null,
			fact(t("runs.chunks"), fmt.num(r.chunks, 0)),
			fact(t("runs.characters"), fmt.num(r.characters, 0)));
	}

	const STATE_ORDER = {failed: 0, crashed: 1, running: 2, pending: 3};

	function tasksSection(r) {
		const tasks = Array.isArray(r.tasks) ? r.tasks : [];
		const byState = {};
		for (const x of tasks) byState[x.state] = (byState[x.state] || 0) + 1;
		const needle = detail.filter.trim().toLowerCase();
		const rows = tasks.filter((x) => (!detail.state || x.state === detail.state) &&
			(!needle || String(x.document).toLowerCase().includes(needle)))
			.map((x, i) => ({x, i}))
			.sort((a, b) => ((STATE_ORDER[a.x.state] ?? 9) - (STATE_ORDER[b.x.state] ?? 9)) || a.i - b.i)
			.map((o) => o.x);
		const shown = rows.slice(0, detail.shown);
		const states = Object.keys(byState).sort((a, b) => (STATE_ORDER[a] ?? 9) - (STATE_ORDER[b] ?? 9));
		const chips = h("div.chips", {role: "group", "aria-label": t("tasks.filterState")},
			[""].concat(states).map((s) => h("button.chip", {
				type: "button", id: "task-filter-" + (s || "all"), "aria-pressed": String(detail.state === s), "data-testid": "task-filter-" + (s || "all"),
				on: {click: () => { detail.state = s; detail.shown = TASK_PAGE; RG.redraw("run"); }},
			}, s ? t("state." + s, null, s) : t("tasks.all"), h("span.chip-count", null, fmt.num(s ? byState[s] : tasks.length, 0)))));
		const search = h("div.field.inline", null,
			h("label", {"for": "task-filter"}, t("tasks.search")),
			h("input#task-filter", {type: "search", value: detail.filter, placeholder: t("tasks.searchPh"),
				on: {input: RG.debounce((e) => { detail.filter = e.target.value; detail.shown = TASK_PAGE; RG.redraw("run"); }, 200)}}));
		const tbl = rows.length ? RG.table([
			{label: t("tasks.document"), head: true, wide: true, wrap: true, cell: (x) => RG.path(x.document)},
			{label: t("tasks.stage"), cell: (x) => h("span", {title: x.cache_key ? t("tasks.cacheKey", {k: x.cache_key}) : null}, t("stage." + x.stage, null, x.stage))},
			{label: t("tasks.state"), cell: (x) => RG.badge("state", x.state)},
			{label: t("tasks.attempts"), num: true, cell: (x) => fmt.num(x.attempts, 0)},
			{label: t("tasks.duration"), num: true, cell: (x) => fmt.ms(x.duration_ms)},
			{label: t("tasks.error"), wide: true, wrap: true, cell: (x) => x.error ? h("span.error-text", null, x.error) : "—"},
		], shown, {cls: "compact", testid: "tasks-table", rowTestid: "task-row", caption: t("tasks.title"),
			rowClass: (x) => x.error ? "has-error" : null}) : h("p.empty", null, t("tasks.none"));
		return h("section.card.flush", {"aria-labelledby": "tasks-title", "data-testid": "tasks"},
			h("div.card-head.padded", null, h("h2#tasks-title", null, t("tasks.title")),
				h("span.count", null, fmt.num(tasks.length, 0))),
			h("div.toolbar.padded", null, chips, search),
			tbl,
			rows.length > shown.length ? h("div.more.padded", null,
				h("span.hint", null, t("tasks.showing", {a: fmt.num(shown.length, 0), b: fmt.num(rows.length, 0)})),
				h("button#tasks-more.btn", {type: "button", "data-testid": "tasks-more",
					on: {click: () => { detail.shown += TASK_PAGE * 4; RG.redraw("run"); }}}, t("tasks.more"))) : null);
	}

	function documentsSection(r) {
		const docs = r.per_document || null;
		if (!docs || !docs.length) return null;
		const bad = (d) => (d.error ? 2 : 0) + (d.failed_pages ? 1 : 0);
		const sorted = docs.slice().sort((a, b) => bad(b) - bad(a));
		const shown = sorted.slice(0, detail.docsShown);
		return h("section.card.flush", {"aria-labelledby": "docs-title", "data-testid": "run-documents"},
			h("div.card-head.padded", null, h("h2#docs-title", null, t("rdocs.title")), h("span.count", null, fmt.num(docs.length, 0))),
			RG.table([
				{label: t("tasks.document"), head: true, wide: true, wrap: true, cell: (d) => RG.path(d.document)},
				{label: t("rdocs.method"), cell: (d) => t("method." + d.method, null, d.method || "—")},
				{label: t("rdocs.pages"), num: true, cell: (d) => fmt.num(d.pages, 0)},
				{label: t("rdocs.ocr"), num: true, cell: (d) => fmt.num(d.ocr_pages, 0)},
				{label: t("rdocs.failedPages"), num: true, cell: (d) => d.failed_pages ? h("strong.error-text", null, fmt.num(d.failed_pages, 0)) : fmt.num(d.failed_pages, 0)},
				{label: t("rdocs.confidence"), num: true, cell: (d) => fmt.conf(d.mean_confidence)},
				{label: t("rdocs.weak"), num: true, cell: (d) => fmt.num(d.weak_pages, 0)},
				{label: t("tasks.error"), wide: true, wrap: true, cell: (d) => d.error ? h("span.error-text", null, d.error) : "—"},
			], shown, {cls: "compact", caption: t("rdocs.title"), rowClass: (d) => d.error ? "has-error" : null}),
			sorted.length > shown.length ? h("div.more.padded", null,
				h("span.hint", null, t("tasks.showing", {a: fmt.num(shown.length, 0), b: fmt.num(sorted.length, 0)})),
				h("button#docs-more.btn", {type: "button", on: {click: () => { detail.docsShown += TASK_PAGE * 4; RG.redraw("run"); }}},
					t("tasks.more"))) : null);
	}

	function paramsSection(r) {
		const p = r.parameters;
		if (!p || typeof p !== "object") return null;
		const keys = Object.keys(p).sort();
		return h("details.card.params", {open: detail.paramsOpen, on: {toggle: (e) => { detail.paramsOpen = e.target.open; }}},
			h("summary", null, h("span.h2like", null, t("runs.params")), " ", h("span.count", null, String(keys.length))),
			h("dl.kv", null, keys.map((k) => [h("dt", null, h("code", null, k)),
				h("dd", null, h("code", null, typeof p[k] === "string" ? (p[k] === "" ? '""' : p[k]) : JSON.stringify(p[k])))])));
	}

	function renderRun(root, id, reload) {
		if (detail.id !== id) {
			Object.assign(detail, {id, run: null, error: null, state: "", filter: "", shown: TASK_PAGE, docsShown: TASK_PAGE});
			reload = true;
		}
		root.appendChild(h("p.back", null, h("a", {href: "#/runs"}, "← " + t("runs.back"))));
		root.appendChild(RG.pageHeader(t("run.title", {id})));
		if (detail.error) root.appendChild(RG.errorBox(detail.error, "run"));
		const r = detail.run;
		if (!r) {
			if (!detail.error) root.appendChild(RG.loading());
		} else {
			root.appendChild(h("section.card", {"data-testid": "run-summary"}, summary(r),
				r.error ? h("div.alert.alert-error", {role: "note"}, h("p.alert-title", null, t("runs.error")), h("p", null, r.error)) : null));
			root.appendChild(documentsSection(r) || h("span"));
			root.appendChild(tasksSection(r));
			root.appendChild(paramsSection(r) || h("span"));
		}
		if (reload) loadRun(id);
	}

	RG.runsView = {render: renderList};
	RG.runView = {render: renderRun};
})(window.RG);
