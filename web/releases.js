/*
 * ragops dashboard: the Releases pages.  The list (state, run, size,
 * changes, the gate's recall@5 and MRR next to the figures of the
 * production they were compared with), the release in production on top
 * with the roll back, and one release: its changes, every gate check, its
 * history and the promote form.  Promote and roll back are admin routes:
 * they use the token typed on the Feedback page, as starting a run does.
 */
"use strict";

(function (RG) {
	const {h, t, fmt} = RG;
	const isNum = (v) => typeof v === "number" && isFinite(v);

	const list = {items: null, production: 0, error: null, gen: 0};
	const detail = {id: null, rel: null, error: null, gen: 0, paramsOpen: false};
	/* The promote and roll back forms, and the outcome of the last action. */
	const act = {busy: false, result: null, error: null, rollbackOpen: false, rollbackReason: "",
		force: false, promoteReason: ""};

	function redrawBoth() {
		RG.redraw("releases");
		RG.redraw("release");
	}

	async function loadList() {
		const gen = ++list.gen;
		try {
			const j = await RG.api("api/releases?limit=50");
			if (gen !== list.gen) return;
			list.items = j.items || [];
			list.production = j.production || 0;
			list.error = null;
		} catch (e) {
			if (gen !== list.gen) return;
			list.error = e;
		}
		redrawBoth();
	}

	async function loadRelease(id) {
		const gen = ++detail.gen;
		try {
			const j = await RG.api("api/releases/" + encodeURIComponent(id));
			if (gen !== detail.gen) return;
			detail.rel = j;
			detail.error = null;
		} catch (e) {
			if (gen !== detail.gen) return;
			detail.error = e;
			detail.rel = null;
		}
		RG.redraw("release");
	}

	function production() {
		if (!list.items) return null;
		return list.items.find((r) => r.id === list.production) ||
			list.items.find((r) => r.state === "production") || null;
	}

	function resetActions() {
		Object.assign(act, {result: null, error: null, rollbackOpen: false, rollbackReason: "",
			force: false, promoteReason: ""});
	}

	/* POST an admin route with the token typed on the Feedback page; the reply, or null. */
	async function adminPost(path, body) {
		const token = RG.adminToken();
		act.result = null;
		if (!token) {
			act.error = "token";
			redrawBoth();
			return null;
		}
		act.busy = true;
		act.error = null;
		redrawBoth();
		let j = null;
		try {
			j = await RG.api(path, {method: "POST", body, headers: {Authorization: "Bearer " + token}});
		} catch (e) {
			act.error = e;
		}
		act.busy = false;
		return j;
	}

	/* After an action: fresh data, and the focus on what the server said. */
	function afterAction() {
		redrawBoth();
		const el = document.getElementById("release-status");
		if (el) el.focus({preventScroll: true});
		loadList();
		if (detail.id !== null && RG.isCurrent("release")) loadRelease(detail.id);
	}

	async function promote(id) {
		const body = {force: act.force};
		if (act.promoteReason.trim()) body.reason = act.promoteReason.trim();
		const j = await adminPost("api/releases/" + encodeURIComponent(id) + "/promote", body);
		if (j) {
			act.result = {kind: "promote", id: j.release, prev: j.previous, forced: j.forced, message: j.message};
			act.force = false;
			act.promoteReason = "";
		}
		afterAction();
	}

	async function rollback() {
		const body = {};
		if (act.rollbackReason.trim()) body.reason = act.rollbackReason.trim();
		const j = await adminPost("api/deploy/rollback", body);
		if (j) {
			act.result = {kind: "rollback", from: j.from, to: j.to};
			act.rollbackOpen = false;
			act.rollbackReason = "";
		}
		afterAction();
	}

	/* What the last action did, or why it did not: the server's own text on a refusal. */
	function actionStatus() {
		let body = null;
		const r = act.result;
		if (act.busy) {
			body = null;
		} else if (act.error === "token") {
			body = RG.tokenNeeded(t("rel.needToken"));
		} else if (act.error) {
			body = RG.errorBox(act.error, "admin");
		} else if (r && r.kind === "promote") {
			body = h("div.notice.ok", {"data-testid": "release-done"},
				h("p", null, r.prev ? t("rel.promotedFrom", {id: r.id, prev: r.prev}) : t("rel.promoted", {id: r.id}),
					r.forced ? " " + t("rel.forcedNote") : ""),
				r.message ? h("p.sub", {lang: "en"}, r.message) : null);
		} else if (r && r.kind === "rollback") {
			body = h("div.notice.ok", {"data-testid": "release-done"},
				h("p", null, t("rel.rolledBack", {from: r.from, to: r.to})));
		}
		return h("div#release-status.action-status", {tabindex: "-1", role: "status", "data-testid": "release-status"}, body);
	}

	/* The roll back of the release in production p: a button, then a reason and a confirmation. */
	function rollbackBox(p) {
		const to = p.previous_id;
		if (!to) {
			return h("div.rollback", null,
				h("button#release-rollback.btn", {type: "button", disabled: true, "data-testid": "release-rollback"},
					t("rel.rollbackPlain")),
				h("p.hint", {"data-testid": "rollback-none"}, t("rel.rollbackNone")));
		}
		if (!act.rollbackOpen) {
			return h("div.rollback", null,
				h("button#release-rollback.btn", {type: "button", "data-testid": "release-rollback",
					on: {click: () => {
						act.rollbackOpen = true;
						act.result = null;
						act.error = null;
						redrawBoth();
						const el = document.getElementById("rollback-reason");
						if (el) el.focus();
					}}}, t("rel.rollback", {id: to})));
		}
		return h("form#rollback-form.rollback.open", {novalidate: true, "data-testid": "rollback-form",
			on: {submit: (e) => { e.preventDefault(); if (!act.busy) rollback(); }}},
		h("h3", null, t("rel.rollbackTitle", {to})),
		h("p.hint", null, t("rel.rollbackHint", {to, from: p.id})),
		h("div.field", null,
			h("label", {"for": "rollback-reason"}, t("rel.reason")),
			h("input#rollback-reason", {type: "text", maxlength: 500, value: act.rollbackReason, autocomplete: "off",
				placeholder: t("rel.reasonPh"), "data-testid": "rollback-reason",
				on: {input: (e) => { act.rollbackReason = e.target.value; }}})),
		h("div.form-actions", null,
			h("button#rollback-confirm.btn.btn-danger", {type: "submit", disabled: act.busy, "data-testid": "rollback-confirm"},
				act.busy ? t("rel.busy") : t("rel.rollbackConfirm")),
			h("button#rollback-cancel.btn.btn-quiet", {type: "button", disabled: act.busy,
				on: {click: () => { act.rollbackOpen = false; redrawBoth(); }}}, t("rel.cancel"))));
	}

	/* ---- the list ---- */

	/* recall@5 or MRR, and production's figure it was compared with */
	function metricCell(r, key) {
		const m = r.metrics || {};
		const v = m[key];
		if (!isNum(v)) return "—";
		const p = m.production ? m.production[key] : null;
		return h("span.metric", null, fmt.fixed(v, 3),
			isNum(p) ? h("span.sub", {"class": v < p - 1e-9 ? "worse" : null, title: t("rel.vsProdTip", {v: fmt.fixed(p, 3)}),
				"data-testid": "vs-production"}, " · " + t("rel.vsProd", {v: fmt.fixed(p, 3)})) : null);
	}

	function changesCell(r) {
		const c = r.changes || {};
		if (c.migrated) return t("rel.migrated");
		if (!isNum(c.added) && !isNum(c.changed) && !isNum(c.removed)) return "—";
		const p = {a: c.added || 0, c: c.changed || 0, r: c.removed || 0};
		return h("span", {title: t("rel.changesTip", p)}, t("rel.changesCell", p));
	}

	function runLink(id) {
		return id ? h("a", {href: "#/runs/" + id}, "#" + id) : "—";
	}

	function releasesTable(items) {
		return RG.table([
			{label: t("rel.id"), head: true, cell: (r) => h("a", {href: "#/releases/" + r.id, "data-testid": "release-link"}, "#" + r.id)},
			{label: t("rel.state"), head: true, cell: (r) => RG.badge("release", r.state)},
			{label: t("rel.created"), head: true, cell: (r) => h("time", {datetime: r.created_at || null}, fmt.dateTime(r.created_at_ms))},
			{label: t("rel.run"), cell: (r) => runLink(r.run_id)},
			{label: t("rel.documents"), num: true, cell: (r) => fmt.num(r.documents, 0)},
			{label: t("rel.chunks"), num: true, cell: (r) => fmt.num(r.chunks, 0)},
			{label: t("rel.changes"), cell: changesCell},
			{label: t("rel.recall"), num: true, cell: (r) => metricCell(r, "recall_at_5")},
			{label: t("rel.mrr"), num: true, cell: (r) => metricCell(r, "mrr")},
		], items, {cls: "compact", testid: "releases-table", rowTestid: "release-row", caption: t("rel.title"),
			rowHref: (r) => "#/releases/" + r.id, rowClass: (r) => r.state === "production" ? "is-production" : null});
	}

	function prodCard() {
		const p = production();
		if (!p) {
			return h("section.card.prod-card.none", {"data-testid": "production"},
				h("p.prod-label", null, t("rel.prodLabel")), h("p", null, t("rel.prodNone")), actionStatus());
		}
		return h("section.card.prod-card", {"aria-labelledby": "prod-title", "data-testid": "production", "data-id": p.id},
			h("div.prod-row", null,
				h("div.prod-main", null,
					h("p#prod-title.prod-label", null, t("rel.prodLabel")),
					h("p.prod-name", null, h("a", {href: "#/releases/" + p.id, "data-testid": "production-link"},
						t("rel.prodName", {id: p.id}))),
					h("p.sub", null,
						p.run_id ? [h("a", {href: "#/runs/" + p.run_id}, t("rel.prodRun", {id: p.run_id})), " · "] : null,
						t("rel.prodCounts", {d: fmt.num(p.documents, 0), c: fmt.num(p.chunks, 0)}))),
				rollbackBox(p)),
			actionStatus());
	}

	function renderList(root, param, reload) {
		if (reload) resetActions();
		root.appendChild(RG.pageHeader(t("rel.title"),
			h("div.head-actions", null,
				h("button#releases-refresh.btn.btn-quiet", {type: "button", on: {click: loadList}, "data-testid": "releases-refresh"},
					t("common.refresh")))));
		root.appendChild(h("p.lead", null, t("rel.lead")));
		if (list.error) root.appendChild(RG.errorBox(list.error, "releases"));
		if (list.items === null) {
			if (!list.error) root.appendChild(RG.loading());
		} else if (!list.items.length) {
			root.appendChild(h("div.card.empty-card", null, h("p", null, t("rel.none")), h("p.hint", null, t("rel.noneHint"))));
		} else {
			root.appendChild(prodCard());
			root.appendChild(h("section.card.flush", null, releasesTable(list.items)));
		}
		if (reload) loadList();
	}

	/* ---- one release ---- */

	function fact(label, value, testid) {
		return h("div.fact", {"data-testid": testid || null}, h("dt", null, label), h("dd", null, value));
	}

	function releaseLink(id) {
		return id ? h("a", {href: "#/releases/" + id}, "#" + id) : "—";
	}

	function summary(r) {
		const m = r.metrics || {};
		const models = r.models || {};
		return h("dl.facts", null,
			fact(t("rel.state"), RG.badge("release", r.state), "release-state"),
			fact(t("rel.run"), runLink(r.run_id)),
			fact(t("rel.created"), fmt.dateTime(r.created_at_ms)),
			fact(t("rel.decided"), r.decided_at ? fmt.dateTime(r.decided_at) : "—"),
			fact(t("rel.documents"), fmt.num(r.documents, 0)),
			fact(t("rel.chunks"), fmt.num(r.chunks, 0)),
			fact(t("rel.parent"), releaseLink(r.parent_id)),
			fact(t("rel.previous"), releaseLink(r.previous_id)),
			fact(t("rel.recall"), metricCell(r, "recall_at_5")),
			fact(t("rel.mrr"), metricCell(r, "mrr")),
			m.figures && isNum(m.figures.questions) ? fact(t("rel.questions"), fmt.num(m.figures.questions, 0)) : null,
			fact(t("rel.lexicon"), models.lexicon ? h("code.model", null, models.lexicon) : "—"),
			fact(t("rel.embedder"), models.embedder ? h("code.model", null, models.embedder) : "—"));
	}

	function actionCard(r) {
		if (r.state === "production") {
			return h("section.card.action-card", {"aria-labelledby": "action-title", "data-testid": "release-actions"},
				h("h2#action-title", null, t("rel.prodLabel")),
				h("p", null, t("rel.isProd")),
				rollbackBox(r),
				actionStatus());
		}
		const prod = production();
		return h("section.card.action-card", {"aria-labelledby": "action-title", "data-testid": "release-actions"},
			h("form#promote-form", {novalidate: true, "data-testid": "promote-form",
				on: {submit: (e) => { e.preventDefault(); if (!act.busy) promote(r.id); }}},
			h("h2#action-title", null, t("rel.promoteTitle")),
			h("p.hint", null, prod ? t("rel.promoteHint", {id: prod.id}) : t("rel.promoteHintNoProd")),
			h("div.checkbox", null,
				h("input#promote-force", {type: "checkbox", checked: act.force, "data-testid": "promote-force",
					on: {change: (e) => { act.force = e.target.checked; }}}),
				h("label", {"for": "promote-force"}, t("rel.force"))),
			h("div.field", null,
				h("label", {"for": "promote-reason"}, t("rel.reason")),
				h("input#promote-reason", {type: "text", maxlength: 500, value: act.promoteReason, autocomplete: "off",
					placeholder: t("rel.reasonPh"), "data-testid": "promote-reason",
					on: {input: (e) => { act.promoteReason = e.target.value; }}})),
			h("div.form-actions", null,
				h("button#promote-button.btn.btn-primary", {type: "submit", disabled: act.busy, "data-testid": "promote-button"},
					act.busy ? t("rel.busy") : t("rel.promote")))),
			actionStatus());
	}

	function docGroup(key, n, docs) {
		const shown = Array.isArray(docs) ? docs : [];
		const count = isNum(n) ? n : shown.length;
		return h("div.change-group", {"data-testid": "changes-" + key},
			h("h3", null, t("rel." + key), " ", h("span.count", null, fmt.num(count, 0))),
			shown.length ? h("ul.doc-list", null, shown.map((d) => h("li", null, RG.path(d)))) : h("p.empty", null, "—"),
			count > shown.length && shown.length ? h("p.hint", null, t("rel.more", {n: fmt.num(count - shown.length, 0)})) : null);
	}

	function changesSection(r) {
		const c = r.changes || {};
		const head = h("div.card-head", null, h("h2#changes-title", null, t("rel.changesTitle")),
			c.migrated ? null : h("span.sub", null, c.parent ? t("rel.against", {id: c.parent}) : t("rel.first")));
		if (c.migrated) {
			return h("section.card", {"aria-labelledby": "changes-title", "data-testid": "release-changes"},
				head, h("p.hint", null, t("rel.migratedHint")));
		}
		return h("section.card", {"aria-labelledby": "changes-title", "data-testid": "release-changes"},
			head,
			h("div.changes", null,
				docGroup("added", c.added, c.added_docs),
				docGroup("changed", c.changed, c.changed_docs),
				docGroup("removed", c.removed, c.removed_docs)),
			isNum(c.chunks_before) || isNum(c.chunks_after) ? h("p.chunks-delta", {"data-testid": "chunks-delta"},
				t("rel.chunksDelta", {a: fmt.num(c.chunks_before, 0), b: fmt.num(c.chunks_after, 0)})) : null);
	}

	function checksSection(r) {
		const checks = Array.isArray(r.checks) ? r.checks : [];
		const failed = checks.filter((c) => !c.ok).length;
		/* counts as whole numbers, scores and shares with three decimals */
		const whole = (c) => (!isNum(c.value) || Number.isInteger(c.value)) && (!isNum(c.threshold) || Number.isInteger(c.threshold));
		const value = (c, v) => !isNum(v) ? "—" : whole(c) ? fmt.num(v, 0) : fmt.fixed(v, 3);
		return h("section.card.flush", {"aria-labelledby": "checks-title", "data-testid": "release-checks"},
			h("div.card-head.padded", null, h("h2#checks-title", null, t("rel.checksTitle")),
				failed ? h("span.badge.badge-failed", null, t("rel.checksFailed", {n: failed})) : h("span.count", null, fmt.num(checks.length, 0))),
			checks.length ? RG.table([
				{label: t("rel.check"), head: true, cell: (c) => h("span", {title: c.check}, t("gatecheck." + c.check, null, c.check))},
				{label: t("rel.result"), head: true, cell: (c) => RG.badge("gate", c.ok ? "ok" : "failed")},
				{label: t("rel.kind"), cell: (c) => t("kind." + c.kind, null, c.kind || "—")},
				{label: t("rel.value"), num: true, cell: (c) => value(c, c.value)},
				{label: t("rel.threshold"), num: true, cell: (c) => value(c, c.threshold)},
				{label: t("rel.detail"), wide: true, wrap: true, cell: (c) => c.detail ? h("span", {lang: "en"}, c.detail) : "—"},
			], checks, {cls: "compact", testid: "checks-table", rowTestid: "release-check", caption: t("rel.checksTitle"),
				rowClass: (c) => c.ok ? null : "has-error"}) : h("p.empty.padded", null, t("rel.checksNone")));
	}

	function historySection(r) {
		const events = Array.isArray(r.history) ? r.history : [];
		return h("section.card.flush", {"aria-labelledby": "history-title", "data-testid": "release-history"},
			h("div.card-head.padded", null, h("h2#history-title", null, t("rel.historyTitle")),
				h("span.count", null, fmt.num(events.length, 0))),
			events.length ? RG.table([
				{label: t("rel.when"), head: true, cell: (e) => h("time", {datetime: e.at || null}, fmt.dateTime(e.at))},
				{label: t("rel.action"), head: true, cell: (e) => h("span", null, RG.badge("action", e.action),
					e.forced ? [" ", h("span.badge.badge-forced", {"data-testid": "event-forced"}, t("rel.forced"))] : null)},
				{label: t("rel.fromTo"), cell: (e) => h("span", null, releaseLink(e.from), " → ", releaseLink(e.to))},
				{label: t("rel.by"), cell: (e) => e.by ? t("by." + e.by, null, e.by) : "—"},
				{label: t("rel.reasonCol"), wide: true, wrap: true, cell: (e) => e.reason ? h("span.reason", null, e.reason) : "—"},
			], events, {cls: "compact", testid: "history-table", rowTestid: "release-event", caption: t("rel.historyTitle")})
				: h("p.empty.padded", null, t("rel.historyNone")));
	}

	function settingsSection(r) {
		const p = r.settings;
		if (!p || typeof p !== "object" || !Object.keys(p).length) return null;
		const keys = Object.keys(p).sort();
		return h("details.card.params", {open: detail.paramsOpen, on: {toggle: (e) => { detail.paramsOpen = e.target.open; }}},
			h("summary", null, h("span.h2like", null, t("runs.params")), " ", h("span.count", null, String(keys.length))),
			h("dl.kv", null, keys.map((k) => [h("dt", null, h("code", null, k)),
				h("dd", null, h("code", null, typeof p[k] === "string" ? (p[k] === "" ? '""' : p[k]) : JSON.stringify(p[k])))])));
	}

	function renderRelease(root, id, reload) {
		if (detail.id !== id) {
			Object.assign(detail, {id, rel: null, error: null});
			reload = true;
		}
		if (reload) resetActions();
		root.appendChild(h("p.back", null, h("a", {href: "#/releases"}, "← " + t("rel.back"))));
		root.appendChild(RG.pageHeader(t("title.release", {id})));
		if (detail.error) root.appendChild(RG.errorBox(detail.error, "release"));
		const r = detail.rel;
		if (!r) {
			if (!detail.error) root.appendChild(RG.loading());
		} else {
			root.appendChild(h("section.card", {"data-testid": "release-summary",
				"class": r.state === "production" ? "is-production" : null}, summary(r)));
			root.appendChild(actionCard(r));
			root.appendChild(changesSection(r));
			root.appendChild(checksSection(r));
			root.appendChild(historySection(r));
			root.appendChild(settingsSection(r) || h("span"));
		}
		if (reload) {
			loadRelease(id);
			loadList(); /* production, for the promote form's hint */
		}
	}

	RG.releasesView = {render: renderList};
	RG.releaseView = {render: renderRelease};
})(window.RG);
