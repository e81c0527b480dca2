/*
 * ragops dashboard: the Quality page.  The health report, the headline
 * numbers of a window (24 h to 90 days) and charts over time: OCR
 * confidence and success per run, question latency, answer length,
 * questions and ratings per day.
 */
"use strict";

(function (RG) {
	const {h, t, fmt} = RG;
	const WINDOWS = ["24h", "7d", "30d", "90d"];

	const st = {win: "7d", summary: null, health: null, sumError: null, healthError: null, gen: 0};

	async function load() {
		const gen = ++st.gen;
		const win = st.win;
		const [sum, health] = await Promise.allSettled([
			RG.api("api/metrics/summary?window=" + encodeURIComponent(win)),
			RG.api("health", {accept: [503]}),
		]);
		if (gen !== st.gen) return;
		st.summary = sum.status === "fulfilled" ? sum.value : null;
		st.sumError = sum.status === "rejected" ? sum.reason : null;
		st.health = health.status === "fulfilled" ? health.value : null;
		st.healthError = health.status === "rejected" ? health.reason : null;
		RG.redraw("quality");
	}

	function windowPicker() {
		return h("div.segmented", {role: "group", "aria-label": t("q.window")},
			WINDOWS.map((w) => h("button", {
				type: "button", id: "window-" + w, "aria-pressed": String(st.win === w), "data-testid": "window-" + w,
				on: {click: () => { if (st.win !== w) { st.win = w; st.summary = null; RG.redraw("quality"); load(); } }},
			}, t("win." + w))));
	}

	function healthCard() {
		const j = st.health;
		const body = [];
		if (st.healthError) body.push(RG.errorBox(st.healthError, "health"));
		if (!j && !st.healthError) body.push(RG.loading());
		if (j) {
			body.push(h("p.health-status", {"data-testid": "health-status", "data-state": j.status},
				RG.badge("health", j.status), " ", h("span", null, t("health.says." + j.status, null, ""))));
			body.push(RG.table([
				{label: t("health.check"), head: true, cell: (c) => h("span", {title: c.name}, t("check." + c.name, null, c.name))},
				{label: t("health.state"), head: true, cell: (c) => RG.badge("health", c.status)},
				{label: t("health.value"), wrap: true, cell: (c) => c.value === "-" || c.value === null ? "—" : String(c.value)},
				{label: t("health.threshold"), cell: (c) => c.threshold === "-" || c.threshold === null ? "—" : String(c.threshold)},
				{label: t("health.message"), wrap: true, head: true, wide: true, cell: (c) => h("span", {lang: "en"}, c.message || "")},
			], j.checks || [], {cls: "compact", testid: "health-checks", rowTestid: "health-check", caption: t("health.title"),
				rowClass: (c) => "check-" + c.status}));
		}
		return h("section.card.health", {"aria-labelledby": "health-title", "data-testid": "health"},
			h("div.card-head", null, h("h2#health-title", null, t("health.title"))), body);
	}

	function tile(label, value, sub, testid) {
		return h("div.tile", {"data-testid": testid || null},
			h("div.tile-label", null, label),
			h("div.tile-value", null, value),
			sub ? h("div.tile-sub", null, sub) : null);
	}

	function tiles(j) {
		const p = j.pipeline || {}, rag = j.rag || {}, ra = j.ratings || {};
		const last = p.last_run;
		return h("div.tiles", {"data-testid": "tiles"},
			tile(t("q.queries"), fmt.num(rag.queries, 0),
				rag.queries ? t("q.abstained", {p: fmt.pct(rag.abstention_rate)}) : null),
			tile(t("q.latency"), fmt.ms(rag.latency_ms_p95), t("q.latencyP50", {v: fmt.ms(rag.latency_ms_p50)})),
			tile(t("q.rating"), ra.mean === null || ra.mean === undefined ? "—" : fmt.num(ra.mean, 1) + " / 5",
				t("q.ratingCount", {n: fmt.num(ra.count || 0, 0)})),
			tile(t("q.ocrSuccess"), fmt.pct(p.ocr_success_rate), p.ocr_pages ?
				t("q.ocrConf", {v: fmt.conf(p.ocr_mean_confidence), n: fmt.num(p.ocr_pages, 0)}) : t("q.noOcr")),
			tile(t("q.runs"), fmt.num(p.runs, 0), t("q.runsSub", {
				c: p.completed || 0, f: (p.failed || 0) + (p.crashed || 0),
			})),
			tile(t("q.lastRun"), last ? h("a", {href: "#/runs/" + last.id}, "#" + last.id) : "—",
				last ? [RG.badge("state", last.state), " ", last.ended_at ? fmt.dateTime(last.ended_at) : ""] : t("q.noRun")));
	}

	function chartCard(title, hint, chart, testid) {
		return h("figure.card.chart-card", {"data-testid": testid},
			h("figcaption", null, h("h3", null, title), hint ? h("p.hint", null, hint) : null),
			chart);
	}

	function charts(j) {
		const days = j.days || [];
		const runs = j.runs || [];
		const dayX = (d) => Date.parse(d.day + "T00:00:00Z");
		const runPts = (key, scale) => runs.map((r) => ({
			x: Date.parse(r.started_at),
			y: r[key] === null || r[key] === undefined ? null : r[key] * scale,
			tip: t("q.runTip", {id: r.id, when: fmt.dateTime(r.started_at)}) + " — " +
				(r[key] === null || r[key] === undefined ? "—" : key === "ocr_success_rate" ? fmt.pct(r[key]) : fmt.conf(r[key])),
		}));
		const dayPts = (key) => days.map((d) => ({x: dayX(d), y: d[key] === undefined ? null : d[key]}));
		const dayBars = (key, f) => days.map((d) => ({
			label: fmt.dayShort(d.day), value: d[key] === undefined ? null : d[key],
			tip: fmt.day(d.day) + " — " + (d[key] === null || d[key] === undefined ? "—" : f(d[key])),
		}));
		const pctFmt = (v) => fmt.num(v, 0) + "\u00a0%";
		const C = RG.charts;
		return h("div.charts", {"data-testid": "charts"},
			chartCard(t("c.ocrConf"), t("c.ocrConfHint"), C.line({
				title: t("c.ocrConf"), testid: "chart-ocr-confidence", yMin: 0, yMax: 100, yFmt: pctFmt,
				xFmt: fmt.dateShort, xTip: fmt.dateTime,
				series: [{label: "", points: runPts("ocr_mean_confidence", 1)}],
			}), "card-ocr-confidence"),
			chartCard(t("c.ocrSuccess"), t("c.ocrSuccessHint"), C.line({
				title: t("c.ocrSuccess"), testid: "chart-ocr-success", yMin: 0, yMax: 100, yFmt: pctFmt,
				xFmt: fmt.dateShort, xTip: fmt.dateTime,
				series: [{label: "", points: runPts("ocr_success_rate", 100)}],
			}), "card-ocr-success"),
			chartCard(t("c.latency"), t("c.latencyHint"), C.line({
				title: t("c.latency"), testid: "chart-latency", yMin: 0, yFmt: fmt.ms,
				xFmt: fmt.dayTick, xTip: fmt.dayFromMs,
				series: [
					{label: t("c.p50"), points: dayPts("latency_ms_p50")},
					{label: t("c.p95"), points: dayPts("latency_ms_p95")},
				],
			}), "card-latency"),
			chartCard(t("c.answerLen"), t("c.answerLenHint"), C.bar({
				title: t("c.answerLen"), testid: "chart-answer-length", yFmt: (v) => fmt.num(v, 0),
				bars: dayBars("answer_chars_mean", (v) => t("c.chars", {n: fmt.num(v, 0)})),
			}), "card-answer-length"),
			chartCard(t("c.queries"), null, C.bar({
				title: t("c.queries"), testid: "chart-queries", integer: true, yFmt: (v) => fmt.num(v, 0),
				bars: dayBars("queries", (v) => t("c.questionsN", {n: fmt.num(v, 0)})),
			}), "card-queries"),
			chartCard(t("c.rating"), t("c.ratingHint"), C.line({
				title: t("c.rating"), testid: "chart-rating", yMin: 1, yMax: 5, integer: true, yFmt: (v) => fmt.num(v, 0),
				xFmt: fmt.dayTick, xTip: fmt.dayFromMs,
				series: [{label: "", points: dayPts("rating_mean")}],
			}), "card-rating"),
			chartCard(t("c.ratingDist"), t("q.ratingCount", {n: fmt.num((j.ratings || {}).count || 0, 0)}), C.bar({
				title: t("c.ratingDist"), testid: "chart-rating-distribution", integer: true, yFmt: (v) => fmt.num(v, 0), labelWidth: 24,
				bars: ["1", "2", "3", "4", "5"].map((k) => {
					const v = ((j.ratings || {}).distribution || {})[k];
					return {label: k + " ★", value: v === undefined ? null : v,
						tip: t("c.ratingTip", {k, n: fmt.num(v || 0, 0)})};
				}),
			}), "card-rating-distribution"));
	}

	function recent(j) {
		const items = j.recent_feedback || [];
		return h("section.card.recent-card", {"aria-labelledby": "recent-title", "data-testid": "recent-feedback"},
			h("div.card-head", null, h("h2#recent-title", null, t("q.recent")),
				h("a", {href: "#/feedback"}, t("q.allFeedback"))),
			items.length ? h("ul.recent", null, items.slice(0, 6).map((f) => h("li", null,
				RG.stars(f.rating), " ",
				h("span.recent-q", null, f.question || "—"),
				f.feedback_text ? h("span.recent-c", null, " — " + f.feedback_text) : null,
				h("span.sub", null, " · " + fmt.dateTime(f.timestamp)))))
				: h("p.empty", null, t("fb.none")));
	}

	function render(root, param, reload) {
		root.appendChild(RG.pageHeader(t("q.title"), windowPicker()));
		root.appendChild(healthCard());
		if (st.sumError) root.appendChild(RG.errorBox(st.sumError, "metrics"));
		const j = st.summary;
		if (!j && !st.sumError) root.appendChild(RG.loading());
		if (j) {
			root.appendChild(h("h2.section-title", null, t("q.period", {w: t("win." + st.win)})));
			root.appendChild(tiles(j));
			root.appendChild(charts(j)).appendChild(recent(j));
			if (j.generated_at) root.appendChild(h("p.hint.generated", null, t("q.generated", {when: fmt.dateTime(j.generated_at)})));
		}
		if (reload) load();
	}

	RG.qualityView = {render};
})(window.RG);
