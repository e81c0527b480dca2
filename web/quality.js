/*
 * ragops dashboard: the Quality page.  The health report, the headline
 * numbers of a window (24 h to 90 days) and charts over time: OCR
 * confidence and success per run, question latency, answer length,
 * questions and ratings per day; then retraining: the policy rule by rule,
 * the last retraining (what was trained and kept, the figures before and
 * after, why) and, with the admin token, a button that starts one and
 * follows it to its end.
 */
"use strict";

(function (RG) {
	const {h, t, fmt} = RG;
	const WINDOWS = ["24h", "7d", "30d", "90d"];

	const st = {win: "7d", summary: null, health: null, sumError: null, healthError: null, gen: 0,
		retrain: null, retrainError: null, start: null};
	/* While a retraining runs, GET /api/retrain is asked again this often. */
	const POLL_MS = 1500;
	let pollTimer = null;

	async function load() {
		const gen = ++st.gen;
		const win = st.win;
		const [sum, health, retrain] = await Promise.allSettled([
			RG.api("api/metrics/summary?window=" + encodeURIComponent(win)),
			RG.api("health", {accept: [503]}),
			RG.api("api/retrain"),
		]);
		if (gen !== st.gen) return;
		st.summary = sum.status === "fulfilled" ? sum.value : null;
		st.sumError = sum.status === "rejected" ? sum.reason : null;
		st.health = health.status === "fulfilled" ? health.value : null;
		st.healthError = health.status === "rejected" ? health.reason : null;
		setRetrain(retrain);
		RG.redraw("quality");
	}

	/* A settled GET /api/retrain; polls again while a retraining runs and the page is shown. */
	function setRetrain(res) {
		if (res.status === "fulfilled") {
			st.retrain = res.value;
			st.retrainError = null;
		} else {
			st.retrainError = res.reason;
		}
		clearTimeout(pollTimer);
		if (st.retrain && st.retrain.running) {
			pollTimer = setTimeout(() => { if (RG.isCurrent("quality")) pollRetrain(); }, POLL_MS);
		} else if (st.start && st.start.ok) {
			st.start = {done: true, id: st.start.id};
		}
	}

	async function pollRetrain() {
		const [res] = await Promise.allSettled([RG.api("api/retrain")]);
		setRetrain(res);
		RG.redraw("quality");
	}

	/* POST /api/retrain is an admin route: the token typed on the Feedback page. */
	async function startRetrain() {
		const token = RG.adminToken();
		if (!token || (st.start && st.start.busy)) return;
		st.start = {busy: true};
		RG.redraw("quality");
		try {
			const j = await RG.api("api/retrain", {method: "POST", headers: {Authorization: "Bearer " + token}});
			st.start = {ok: true, id: j && j.retraining};
			if (st.retrain) st.retrain.running = true;
		} catch (e) {
			st.start = {error: e};
		}
		RG.redraw("quality");
		if (st.start.ok) pollRetrain();
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

	/* ---- retraining ---- */

	const isNum = (v) => typeof v === "number" && isFinite(v);

	/* A rule's figure or threshold: counts whole, ratings with two decimals, shares in percent, MRR drops with three. */
	function ruleValue(rule, v) {
		if (!isNum(v)) return "—";
		if (rule === "new_feedback") return fmt.num(v, 0);
		if (rule === "mean_rating") return fmt.fixed(v, 2);
		if (rule === "feedback_eval") return fmt.fixed(v, 3);
		return fmt.pct(v);
	}

	function ruleWindow(w) {
		if (!w) return "—";
		return t("rtwin." + w, null, null) || t("win." + w, null, w);
	}

	/* "yes — mean rating, share of low ratings" / "no — no feedback yet" */
	function verdictReason(p) {
		const fired = (p.rules || []).filter((r) => r.triggered);
		if (p.retrain && fired.length) return fired.map((r) => t("rule." + r.rule, null, r.rule)).join(", ");
		if (!p.feedback) return t("rt.reasonNoFeedback");
		if (!fired.length && /no rule fired/.test(p.reason || "")) return t("rt.reasonNoRule");
		return h("span", {lang: "en"}, String(p.reason || "").replace(/^(yes|no): /, ""));
	}

	function policyCard() {
		const j = st.retrain;
		const p = j && j.policy;
		const body = [];
		if (!p) {
			if (!st.retrainError) body.push(h("div.padded", null, RG.loading()));
		} else {
			body.push(h("p.padded.retrain-verdict", {"data-testid": "retrain-verdict", "data-recommended": String(!!p.retrain)},
				h("strong", null, t("rt.recommended", {v: t(p.retrain ? "rt.yes" : "rt.no")})), " — ", verdictReason(p)));
			body.push(RG.table([
				{label: t("rt.rule"), head: true, cell: (r) => h("span", {title: r.rule}, t("rule." + r.rule, null, r.rule))},
				{label: t("rt.value"), num: true, cell: (r) => r.measured ? ruleValue(r.rule, r.value) : "—"},
				{label: t("rt.threshold"), num: true, cell: (r) => ruleValue(r.rule, r.threshold)},
				{label: t("rt.window"), cell: (r) => ruleWindow(r.window)},
				{label: t("rt.fires"), head: true, cell: (r) => RG.badge("fires", r.triggered ? "yes" : "no")},
				{label: t("rt.detail"), wide: true, wrap: true, cell: (r) => r.detail ? h("span", {lang: "en"}, r.detail) : "—"},
			], p.rules || [], {cls: "compact", testid: "retrain-rules", rowTestid: "retrain-rule", caption: t("rt.policy"),
				rowClass: (r) => r.triggered ? "rule-fires" : null}));
		}
		return h("section.card.flush", {"aria-labelledby": "retrain-policy-title", "data-testid": "retrain-policy"},
			h("div.card-head.padded", null, h("h3#retrain-policy-title", null, t("rt.policy")),
				p ? h("span.count", null, fmt.num(p.feedback || 0, 0) + "\u00a0" + t("rt.feedbackN", {n: p.feedback || 0})) : null),
			body);
	}

	function startButton(running) {
		if (!RG.adminToken()) return null;
		const busy = !!(st.start && st.start.busy);
		return h("button#retrain-start.btn", {type: "button", disabled: busy || running, "data-testid": "retrain-start",
			on: {click: startRetrain}}, t(busy ? "rt.starting" : running ? "rt.runningShort" : "rt.start"));
	}

	function startStatus(running) {
		const s = st.start;
		if (!s || s.busy) return null;
		if (s.error) return RG.errorBox(s.error, "admin");
		const msg = s.done ? t(isNum(s.id) ? "rt.ended" : "rt.endedNoId", {id: s.id}) :
			t(isNum(s.id) ? "rt.started" : "rt.startedNoId", {id: s.id});
		return h("p.notice.ok", {role: "status", "data-testid": s.done ? "retrain-ended" : "retrain-started"},
			running && !s.done ? h("span.spinner", {"aria-hidden": "true"}) : null, msg);
	}

	function fact(label, value, testid) {
		return h("div.fact", {"data-testid": testid || null}, h("dt", null, label), h("dd", null, value));
	}

	function lastCard() {
		const j = st.retrain;
		const last = j && j.last;
		const running = !!(j && j.running);
		const body = [];
		const status = startStatus(running);
		if (status) body.push(status);
		if (!j) {
			if (!st.retrainError) body.push(RG.loading());
		} else if (!last) {
			body.push(h("p.empty", {"data-testid": "retrain-none"}, t("rt.none")),
				h("p.hint", null, t("rt.noneHint")));
		} else {
			const r = last.report || {};
			const d = r.data || {};
			body.push(h("dl.facts", null,
				fact(t("rt.state"), h("span", {"data-testid": "retrain-last-state", "data-state": last.state},
					RG.badge("retrain", last.state)), "retrain-state"),
				fact(t("rt.id"), "#" + last.id),
				fact(t("rt.when"), h("time", {datetime: last.started_at || null}, fmt.dateTime(last.started_at_ms))),
				fact(t("rt.duration"), fmt.duration(last.duration_s)),
				fact(t("rt.by"), t("by." + last.actor, null, last.actor || "—")),
				fact(t("rt.release"), last.release ? h("a", {href: "#/releases/" + last.release}, "#" + last.release) : "—"),
				isNum(d.rows) ? fact(t("rt.feedbackUsed"), t("rt.feedbackSplit", {n: fmt.num(d.rows, 0),
					tr: fmt.num(d.train || 0, 0), v: fmt.num(d.validation || 0, 0)})) : null));
			const reasons = Array.isArray(r.reasons) ? r.reasons : [];
			if (reasons.length) {
				body.push(h("h4.retrain-why", null, t("rt.reasons")),
					h("ul.retrain-reasons", {"data-testid": "retrain-reasons", lang: "en"}, reasons.map((x) => h("li", null, String(x)))));
			} else if (last.state === "running") {
				body.push(h("p.hint", null, t("rt.inProgress")));
			} else if (last.state === "interrupted") {
				body.push(h("p.hint", null, t("rt.interruptedHint")));
			}
		}
		if (st.retrainError) body.push(RG.errorBox(st.retrainError, "retrain"));
		return h("section.card.retrain-last", {"aria-labelledby": "retrain-last-title", "data-testid": "retrain-last"},
			h("div.card-head", null, h("h3#retrain-last-title", null, t("rt.last")), startButton(running)),
			!RG.adminToken() ? h("p.hint.retrain-token", null, t("rt.tokenHint"), " ", h("a", {href: "#/feedback"}, t("runs.tokenLink"))) : null,
			body);
	}

	/* "0.926 → 0.861", the later one marked when worse */
	function beforeAfter(pair, digits) {
		if (!pair || !isNum(pair.before) || !isNum(pair.after)) return "—";
		return h("span.metric", null, fmt.fixed(pair.before, digits), " → ",
			h("span", {"class": pair.after < pair.before - 1e-9 ? "worse" : pair.after > pair.before + 1e-9 ? "better" : null},
				fmt.fixed(pair.after, digits)));
	}

	function trainedCard(r) {
		const items = Array.isArray(r.trained) ? r.trained : [];
		return h("section.card.flush", {"aria-labelledby": "retrain-trained-title", "data-testid": "retrain-trained"},
			h("div.card-head.padded", null, h("h3#retrain-trained-title", null, t("rt.trained")),
				h("span.count", null, fmt.num(items.length, 0))),
			items.length ? RG.table([
				{label: t("rt.component"), head: true, cell: (c) => h("span", {title: c.model || c.component}, t("comp." + c.component, null, c.component))},
				{label: t("rt.kept"), head: true, cell: (c) => RG.badge("keep", c.kept ? "kept" : "left")},
				{label: t("rt.mrrHeld"), num: true, cell: (c) => beforeAfter(c.validation_mrr, 3)},
				{label: t("rt.mrrTrain"), num: true, cell: (c) => beforeAfter(c.train_mrr, 3)},
				{label: t("rt.detail"), wide: true, wrap: true, cell: (c) => c.detail ? h("span", {lang: "en"}, c.detail) : "—"},
			], items, {cls: "compact", testid: "retrain-trained-table", rowTestid: "retrain-component", caption: t("rt.trained"),
				rowClass: (c) => c.kept ? "is-kept" : null}) : h("p.empty.padded", null, t("rt.trainedNone")));
	}

	function figuresCard(r) {
		const val = {before: (r.before || {}).validation, after: (r.after || {}).validation};
		const gold = r.golden && typeof r.golden === "object" ? r.golden : null;
		const rows = ["recall_at_1", "recall_at_5", "mrr"].map((k) => ({k,
			held: {before: (val.before || {})[k], after: (val.after || {})[k]},
			gold: gold ? {before: (gold.before || {})[k], after: (gold.after || {})[k]} : null}));
		const count = (f) => f && isNum(f.questions) ? fmt.num(f.questions, 0) : "—";
		const cols = [
			{label: t("rt.metric"), head: true, cell: (x) => t("m." + x.k, null, x.k)},
			{label: t("rt.heldBA", {n: count(val.before)}), num: true, cell: (x) => beforeAfter(x.held, 3)},
		];
		if (gold) cols.push({label: t("rt.goldenBA", {n: count(gold.before || gold.after)}), num: true, cell: (x) => beforeAfter(x.gold, 3)});
		return h("section.card.flush", {"aria-labelledby": "retrain-figures-title", "data-testid": "retrain-figures"},
			h("div.card-head.padded", null, h("h3#retrain-figures-title", null, t("rt.figures"))),
			val.before || val.after ? RG.table(cols, rows, {cls: "compact", testid: "retrain-figures-table",
				rowTestid: "retrain-figure", caption: t("rt.figures")}) : h("p.empty.padded", null, t("rt.figuresNone")),
			gold ? null : h("p.hint.padded", {"data-testid": "retrain-no-golden"}, t("rt.noGolden")));
	}

	function retrainSection() {
		const j = st.retrain;
		const last = j && j.last;
		const report = last && last.report;
		return h("section.retrain", {"aria-labelledby": "retrain-title", "data-testid": "retrain"},
			h("h2#retrain-title.section-title", null, t("rt.title")),
			h("p.lead", null, t("rt.lead")),
			policyCard(),
			lastCard(),
			/* a retraining with nothing to learn from trained and measured nothing: no empty cards */
			report && (Array.isArray(report.trained) && report.trained.length || report.before) ? trainedCard(report) : null,
			report && report.before ? figuresCard(report) : null);
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
		root.appendChild(retrainSection());
		if (reload) load();
	}

	RG.qualityView = {render};
})(window.RG);
