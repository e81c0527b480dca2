/*
 * ragops dashboard: the Feedback page.  Ratings and corrections, newest
 * first, filtered by age and rating, and the export (an admin route: the
 * token is typed once and kept in sessionStorage, never in localStorage).
 */
"use strict";

(function (RG) {
	const {h, t, fmt} = RG;

	const st = {since: "30d", min: "", max: "", limit: "100", items: null, error: null, gen: 0,
		format: "jsonl", exporting: false, exportError: null, exported: null};

	function query() {
		const q = new URLSearchParams();
		if (st.since) q.set("since", st.since);
		if (st.min) q.set("min_rating", st.min);
		if (st.max) q.set("max_rating", st.max);
		q.set("limit", st.limit || "100");
		return q.toString();
	}

	async function load() {
		const gen = ++st.gen;
		try {
			const j = await RG.api("api/feedback?" + query());
			if (gen !== st.gen) return;
			st.items = j.items || [];
			st.error = null;
		} catch (e) {
			if (gen !== st.gen) return;
			st.error = e;
		}
		RG.redraw("feedback");
	}

	async function exportFile() {
		const token = RG.adminToken();
		st.exportError = null;
		st.exported = null;
		if (!token) {
			st.exportError = "token";
			RG.redraw("feedback");
			const el = document.getElementById("admin-token");
			if (el) el.focus();
			return;
		}
		st.exporting = true;
		RG.redraw("feedback");
		try {
			const res = await RG.api("api/feedback/export?format=" + st.format, {
				raw: true, headers: {Authorization: "Bearer " + token, Accept: "*/*"},
			});
			const blob = await res.blob();
			const stamp = new Date().toISOString().slice(0, 10);
			const name = "ragops-feedback-" + stamp + "." + (st.format === "json" ? "json" : "jsonl");
			RG.download(blob, name);
			st.exported = name;
		} catch (e) {
			st.exportError = e;
		}
		st.exporting = false;
		RG.redraw("feedback");
	}

	function select(id, label, value, options, onChange) {
		return h("div.field", null,
			h("label", {"for": id}, label),
			h("select", {id, "data-testid": id, on: {change: (e) => onChange(e.target.value)}},
				options.map(([v, text]) => h("option", {value: v, selected: v === value}, text))));
	}

	function filters() {
		const ratings = [["", t("fb.any")]].concat([1, 2, 3, 4, 5].map((n) => [String(n), String(n)]));
		const set = (k) => (v) => { st[k] = v; load(); };
		return h("form.card.filters", {"data-testid": "feedback-filters", on: {submit: (e) => e.preventDefault()}},
			select("f-since", t("fb.since"), st.since,
				[["24h", t("win.24h")], ["7d", t("win.7d")], ["30d", t("win.30d")], ["90d", t("win.90d")], ["", t("fb.always")]], set("since")),
			select("f-min", t("fb.minRating"), st.min, ratings, set("min")),
			select("f-max", t("fb.maxRating"), st.max, ratings, set("max")),
			select("f-limit", t("fb.limit"), st.limit, [["50", "50"], ["100", "100"], ["500", "500"]], set("limit")));
	}

	function item(f) {
		/* A logged answer's sources are objects, a posted answer's may be names. */
		const sources = (Array.isArray(f.sources) ? f.sources : [])
			.map((x) => (x && typeof x === "object" ? x.document : x)).filter(Boolean);
		const judged = (list, mark, key) => Array.isArray(list) && list.length ?
			h("p.fb-judged", {"data-testid": "feedback-item-" + key},
				h("span.label", null, mark + " " + t("src." + key)), " ", list.join(", ")) : null;
		return h("li.card.fb-item", {"data-testid": "feedback-item", "data-id": f.id, "class": f.rating <= 2 ? "low" : null},
			h("div.fb-head", null,
				RG.stars(f.rating),
				h("span.sub", null, fmt.dateTime(f.timestamp)),
				f.query_id !== null && f.query_id !== undefined ? h("span.sub", null, t("ask.queryId", {id: f.query_id})) : null,
				h("span.sub.fb-id", null, "#" + f.id)),
			h("p.fb-question", null, f.question || "—"),
			f.feedback_text ? h("p.fb-comment", {"data-testid": "feedback-item-comment"}, h("span.label", null, t("fb.commentLabel")), " ", f.feedback_text) : null,
			f.corrected_answer ? h("div.fb-corrected", null, h("span.label", null, t("fb.corrected")), h("p", null, f.corrected_answer)) : null,
			judged(f.helpful_sources, "✓", "helpful"),
			judged(f.unhelpful_sources, "✗", "unhelpful"),
			f.answer ? h("details.fb-answer", null, h("summary", null, t("fb.givenAnswer")), h("p", null, f.answer),
				sources.length ? h("p.sub", null, t("fb.sourcesLabel"), " ", [...new Set(sources)].join(", ")) : null) : null);
	}

	function exportBox() {
		const token = RG.adminToken();
		let err = null;
		if (st.exportError === "token") err = h("p.field-error", {role: "alert"}, t("exp.needToken"));
		else if (st.exportError) err = RG.errorBox(st.exportError, "export");
		return h("section.card.export", {"aria-labelledby": "export-title", "data-testid": "export"},
			h("h2#export-title", null, t("exp.title")),
			h("p.hint", null, t("exp.hint")),
			h("div.export-row", null,
				h("div.field", null,
					h("label", {"for": "admin-token"}, t("exp.token")),
					h("input#admin-token", {type: "password", autocomplete: "off", spellcheck: "false", value: token,
						"data-testid": "admin-token", placeholder: t("exp.tokenPh"),
						on: {input: (e) => RG.setAdminToken(e.target.value)}})),
				select("export-format", t("exp.format"), st.format,
					[["jsonl", "JSON Lines (.jsonl)"], ["json", "JSON (.json)"]], (v) => { st.format = v; }),
				h("div.field.field-button", null,
					h("button#export-button.btn", {type: "button", disabled: st.exporting, "data-testid": "export-button",
						on: {click: exportFile}}, st.exporting ? t("exp.busy") : t("exp.button")))),
			err,
			st.exported ? h("p.alert.alert-ok", {role: "status", "data-testid": "export-done"}, t("exp.done", {name: st.exported})) : null);
	}

	function render(root, param, reload) {
		root.appendChild(RG.pageHeader(t("fb.pageTitle")));
		root.appendChild(h("p.lead", null, t("fb.lead")));
		root.appendChild(filters());
		if (st.error) root.appendChild(RG.errorBox(st.error, "feedback-list"));
		if (st.items === null) {
			if (!st.error) root.appendChild(RG.loading());
		} else if (!st.items.length) {
			root.appendChild(h("div.card.empty-card", {"data-testid": "feedback-empty"}, h("p", null, t("fb.none")), h("p.hint", null, t("fb.noneHint"))));
		} else {
			root.appendChild(h("p.count-line", {role: "status"}, t("fb.count", {n: st.items.length})));
			root.appendChild(h("ul.fb-list", {"data-testid": "feedback-list"}, st.items.map(item)));
		}
		root.appendChild(exportBox());
		if (reload) load();
	}

	RG.feedbackView = {render};
})(window.RG);
