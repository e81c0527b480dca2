/*
 * ragops dashboard: the Ask page.  A question, the answer with its
 * citations and sources (each expands to its heading, pages and snippet,
 * and can be marked helpful or not), and a feedback form (rating, comment,
 * corrected answer) posted with the answer's query id and the sources
 * marked.
 */
"use strict";

(function (RG) {
	const {h, t, fmt} = RG;

	const st = {
		question: "", retriever: "", k: "", optionsOpen: false,
		busy: false, error: null, result: null, open: new Set(),
		fb: null,
	};

	function freshFeedback() {
		/* helpful, unhelpful: document paths, as the API takes them (a document cited twice is judged once) */
		return {rating: null, text: "", corrected: "", helpful: new Set(), unhelpful: new Set(),
			busy: false, error: null, invalid: false, sent: null};
	}

	async function ask() {
		const q = st.question.trim();
		if (!q || st.busy) return;
		const body = {question: q};
		if (st.retriever) body.retriever = st.retriever;
		if (st.k) body.k = parseInt(st.k, 10);
		st.busy = true;
		st.error = null;
		RG.redraw("ask");
		try {
			st.result = await RG.api("api/ask", {method: "POST", body});
			st.open = new Set();
			st.fb = freshFeedback();
		} catch (e) {
			st.error = e;
		}
		st.busy = false;
		RG.redraw("ask");
		const target = document.getElementById(st.error ? "ask-error" : "answer");
		if (target) target.scrollIntoView({block: "nearest", behavior: "smooth"});
	}

	async function sendFeedback() {
		const fb = st.fb, r = st.result;
		if (!fb || fb.busy || fb.sent) return;
		if (!fb.rating) {
			fb.invalid = true;
			RG.redraw("ask");
			const first = document.getElementById("rating-1");
			if (first) first.focus();
			return;
		}
		const body = {rating: fb.rating};
		if (r.query_id !== null && r.query_id !== undefined) {
			body.query_id = r.query_id;
		} else {
			body.question = r.question;
			body.answer = r.answer;
			body.sources = (r.sources || []).map((x) => x.document);
		}
		if (fb.text.trim()) body.feedback_text = fb.text.trim();
		if (fb.corrected.trim()) body.corrected_answer = fb.corrected.trim();
		if (fb.helpful.size) body.helpful_sources = [...fb.helpful];
		if (fb.unhelpful.size) body.unhelpful_sources = [...fb.unhelpful];
		fb.busy = true;
		fb.error = null;
		fb.invalid = false;
		RG.redraw("ask");
		try {
			fb.sent = await RG.api("api/feedback", {method: "POST", body});
		} catch (e) {
			fb.error = e;
		}
		fb.busy = false;
		RG.redraw("ask");
		const status = document.getElementById("feedback-status");
		if (status) status.focus({preventScroll: true});
	}

	function form() {
		const textarea = h("textarea#question", {
			name: "question", rows: 2, required: true, maxlength: 2000,
			placeholder: t("ask.placeholder"), "data-testid": "question", value: st.question,
			"aria-describedby": "question-hint",
			on: {
				input: (e) => { st.question = e.target.value; },
				keydown: (e) => {
					/* Enter asks, Shift+Enter adds a line */
					if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
						e.preventDefault();
						ask();
					}
				},
			},
		});
		const retriever = h("select#retriever", {
			name: "retriever", on: {change: (e) => { st.retriever = e.target.value; }},
		}, ["", "hybrid", "bm25", "dense"].map((v) =>
			h("option", {value: v, selected: st.retriever === v}, t("ask.retriever." + (v || "default")))));
		const k = h("input#k", {
			type: "number", name: "k", min: 1, max: 50, inputmode: "numeric", value: st.k,
			placeholder: "5", on: {input: (e) => { st.k = e.target.value; }},
		});
		return h("form#ask-form.card.ask-form", {
			"data-testid": "ask-form", novalidate: true,
			on: {submit: (e) => { e.preventDefault(); ask(); }},
		},
		h("label.field-label", {"for": "question"}, t("ask.label")),
		h("div.ask-row", null, textarea,
			h("button#ask-submit.btn.btn-primary", {type: "submit", "data-testid": "ask-submit", disabled: st.busy},
				st.busy ? t("ask.busy") : t("ask.submit"))),
		h("p#question-hint.hint", null, t("ask.hint")),
		h("details.options", {open: st.optionsOpen, on: {toggle: (e) => { st.optionsOpen = e.target.open; }}},
			h("summary", null, t("ask.options")),
			h("div.options-grid", null,
				h("div.field", null, h("label", {"for": "retriever"}, t("ask.retriever")), retriever),
				h("div.field", null, h("label", {"for": "k"}, t("ask.k")), k))));
	}

	/* Answer text with its [title, p. N] citations as buttons opening the source. */
	function answerText(r) {
		const out = [];
		const re = /\[([^\]]+?), p\. (\d+)(?:\s*[-–]\s*(\d+))?\]/g;
		const text = String(r.answer || "");
		let last = 0, m;
		while ((m = re.exec(text)) !== null) {
			const page = parseInt(m[2], 10);
			const idx = (r.sources || []).findIndex((x) => x.title === m[1] &&
				page >= x.page_start && page <= (x.page_end || x.page_start));
			if (idx < 0) continue;
			if (m.index > last) out.push(text.slice(last, m.index));
			out.push(h("button.cite", {
				type: "button", title: t("ask.openSource"),
				on: {click: () => openSource(idx, true)},
			}, m[0]));
			last = re.lastIndex;
		}
		if (last < text.length) out.push(text.slice(last));
		return out;
	}

	function openSource(i, scroll) {
		st.open.add(i);
		RG.redraw("ask");
		const el = document.getElementById("source-" + i);
		if (el && scroll) {
			el.scrollIntoView({block: "center", behavior: "smooth"});
			const b = el.querySelector("button");
			if (b) b.focus({preventScroll: true});
		}
	}

	function pages(x) {
		if (x.page_start === null || x.page_start === undefined) return "";
		return x.page_end && x.page_end !== x.page_start ?
			t("src.pages", {a: x.page_start, b: x.page_end}) : t("src.page", {a: x.page_start});
	}

	/* The deepest heading of a source, when it says more than the title. */
	function section(x) {
		const parts = String(x.heading || "").split("›").map((p) => p.trim()).filter(Boolean);
		const last = parts[parts.length - 1];
		return last && last !== x.title ? last : "";
	}

	/* ✓ and ✗ toggles: the source's document judged helpful or not, sent with the rating. */
	function judge(x, i) {
		const fb = st.fb, doc = x.document;
		if (!fb || !doc) return null;
		const locked = fb.busy || !!fb.sent;
		const toggle = (kind, mark, mine, other) => {
			const on = mine.has(doc);
			return h("button.judge", {
				type: "button", id: "source-" + kind + "-" + i, "class": "judge-" + kind,
				"aria-pressed": String(on), title: t("src." + kind), "aria-label": t("src." + kind),
				disabled: locked, "data-testid": "source-" + kind,
				on: {click: () => {
					if (on) {
						mine.delete(doc);
					} else {
						mine.add(doc);
						other.delete(doc);
					}
					RG.redraw("ask");
				}},
			}, h("span", {"aria-hidden": "true"}, mark));
		};
		return h("div.source-judge", {role: "group", "aria-label": t("src.judge", {n: i + 1})},
			toggle("helpful", "✓", fb.helpful, fb.unhelpful),
			toggle("unhelpful", "✗", fb.unhelpful, fb.helpful));
	}

	function source(x, i) {
		const open = st.open.has(i);
		const bodyId = "source-body-" + i;
		const body = h("div.source-body", {id: bodyId, hidden: !open, "data-testid": "source-snippet"},
			h("dl.source-facts", null,
				x.heading ? [h("dt", null, t("src.heading")), h("dd", null, x.heading)] : null,
				h("dt", null, t("src.document")), h("dd", null, RG.path(x.document)),
				h("dt", null, t("src.pagesLabel")), h("dd", null, pages(x) || "—"),
				h("dt", null, t("src.match")), h("dd", null,
					t("src.matchValue", {e: fmt.pct(x.evidence), s: fmt.pct(x.similarity)}))),
			h("blockquote.snippet", null, RG.marked(x.snippet)));
		return h("li.source", {id: "source-" + i, "data-testid": "source", "class": open ? "open" : null},
			h("div.source-head", null, h("button.source-toggle", {
				type: "button", id: "source-toggle-" + i, "aria-expanded": String(open), "aria-controls": bodyId,
				"data-testid": "source-toggle",
				on: {click: () => {
					if (st.open.has(i)) st.open.delete(i); else st.open.add(i);
					RG.redraw("ask");
				}},
			},
			h("span.source-num", {"aria-hidden": "true"}, String(i + 1)),
			h("span.source-main", null,
				h("span.source-title", null, x.title || x.document),
				section(x) ? h("span.source-section", null, section(x)) : null,
				h("span.source-meta", null,
					h("span.source-doc", null, RG.path(x.document)), " · ", pages(x),
					x.low_confidence ? [" ", h("span.badge.badge-degraded", {title: t("src.lowHint")}, t("src.low"))] : null)),
			h("span.chevron", {"aria-hidden": "true"})),
			judge(x, i)),
			body);
	}

	function answer(r) {
		const timings = r.timings_ms || {};
		return h("article#answer.card.answer", {
			"data-testid": "answer", "class": r.abstained ? "abstained" : null, tabindex: "-1",
		},
		h("div.card-head", null,
			h("h2", null, t("ask.answer")),
			r.abstained ? h("span.badge.badge-skipped", {"data-testid": "abstained"}, t("ask.abstained")) : null),
		h("p.asked", null, h("span.sr-only", null, t("ask.label") + " "), r.question),
		h("p.answer-text", {"data-testid": "answer-text", lang: r.language || null}, answerText(r)),
		r.abstained ? h("p.hint", null, t("ask.abstainedHint")) : null,
		h("p.meta", null,
			t("ask.meta", {
				retriever: t("ask.retriever." + (r.retriever || "default"), null, r.retriever || "—"),
				ms: fmt.num(timings.total, 0),
				n: (r.sources || []).length,
			}),
			r.query_id !== null && r.query_id !== undefined ? [" · ", t("ask.queryId", {id: r.query_id})] : null,
			r.release ? [" · ", h("a", {href: "#/releases/" + r.release, title: t("ask.releaseTip"), "data-testid": "answer-release"},
				t("ask.release", {id: r.release}))] : null));
	}

	function sources(r) {
		const list = r.sources || [];
		return h("section.card.sources", {"aria-labelledby": "sources-title"},
			h("div.card-head", null,
				h("h2#sources-title", null, r.abstained ? t("ask.nearest") : t("ask.sources")),
				list.length ? h("span.count", null, String(list.length)) : null),
			list.length ?
				h("ol.source-list", {"data-testid": "sources"}, list.map(source)) :
				h("p.empty", null, t("ask.noSources")));
	}

	function feedbackForm() {
		const fb = st.fb;
		const locked = fb.busy || !!fb.sent;
		const stars = [1, 2, 3, 4, 5].map((n) => h("span.rating-opt", null,
			h("input.sr-only", {
				type: "radio", name: "rating", id: "rating-" + n, value: n, checked: fb.rating === n,
				disabled: locked, "data-testid": "rating-" + n,
				on: {change: () => { fb.rating = n; fb.invalid = false; RG.redraw("ask"); }},
			}),
			h("label", {"for": "rating-" + n, title: t("fb.rate" + n)},
				h("span.rating-num", null, String(n)),
				h("span.rating-word", null, t("fb.rate" + n)))));
		const status = h("div#feedback-status", {tabindex: "-1", "data-testid": "feedback-status", role: "status"},
			fb.sent ? h("p.alert.alert-ok", {"data-testid": "feedback-confirmation"},
				t("fb.thanks", {id: fb.sent.id})) : null);
		return h("section.card.feedback-card", {"aria-labelledby": "fb-title"},
			h("h2#fb-title", null, t("fb.title")),
			h("form#feedback-form", {
				"data-testid": "feedback-form", novalidate: true,
				on: {submit: (e) => { e.preventDefault(); sendFeedback(); }},
			},
			h("fieldset.rating", {"aria-describedby": fb.invalid ? "rating-error" : null,
				"aria-invalid": fb.invalid ? "true" : null},
			h("legend", null, t("fb.rating")),
			h("div.rating-opts", null, stars),
			fb.invalid ? h("p#rating-error.field-error", null, t("fb.needRating")) : null),
			h("p.hint", {"data-testid": "feedback-judged"}, fb.helpful.size || fb.unhelpful.size ?
				t("fb.judged", {h: fb.helpful.size, u: fb.unhelpful.size}) : t("fb.judgeHint")),
			h("div.field", null,
				h("label", {"for": "feedback-text"}, t("fb.comment")),
				h("textarea#feedback-text", {
					rows: 2, maxlength: 4000, disabled: locked, value: fb.text, "data-testid": "feedback-text",
					placeholder: t("fb.commentPh"), on: {input: (e) => { fb.text = e.target.value; }},
				})),
			h("div.field", null,
				h("label", {"for": "feedback-corrected"}, t("fb.corrected")),
				h("textarea#feedback-corrected", {
					rows: 3, maxlength: 8000, disabled: locked, value: fb.corrected, "data-testid": "feedback-corrected",
					placeholder: t("fb.correctedPh"), on: {input: (e) => { fb.corrected = e.target.value; }},
				})),
			h("div.form-actions", null,
				h("button#feedback-submit.btn.btn-primary", {type: "submit", disabled: locked, "data-testid": "feedback-submit"},
					fb.busy ? t("fb.sending") : fb.sent ? t("fb.sent") : t("fb.send"))),
			fb.error ? RG.errorBox(fb.error, "feedback") : null,
			status));
	}

	function render(root) {
		root.appendChild(RG.pageHeader(t("ask.title")));
		root.appendChild(h("p.lead", null, t("ask.lead")));
		root.appendChild(form());
		root.appendChild(h("div#ask-error", null, st.error ? RG.errorBox(st.error, "ask") : null));
		if (st.busy && !st.result) root.appendChild(RG.loading());
		if (st.result) {
			root.appendChild(h("div.ask-result", {"aria-busy": st.busy ? "true" : "false"},
				answer(st.result), sources(st.result), feedbackForm()));
		}
	}

	RG.askView = {render};
})(window.RG);
