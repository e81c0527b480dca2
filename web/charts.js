/*
 * ragops dashboard: small SVG charts drawn by hand (no library).
 *
 * line({series, xFmt, xTip, yFmt, yMin, yMax}) and bar({bars, yFmt, yMax})
 * return an element that draws itself at its container's width and again
 * when that changes.  A null value is a gap in a line and no bar; a chart
 * with no value at all says so instead.  Tooltips are SVG <title>s.
 */
"use strict";

(function (RG) {
	const {h, s, t} = RG;
	const HEIGHT = 190;
	const M = {top: 12, right: 12, bottom: 26, left: 44};

	/* About n round ticks from lo or below to hi or above; whole steps when integer. */
	function niceTicks(lo, hi, n, integer) {
		if (!(hi > lo)) hi = lo + 1;
		const raw = (hi - lo) / n;
		const mag = Math.pow(10, Math.floor(Math.log10(raw)));
		const f = raw / mag;
		let step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
		if (integer) step = Math.max(1, Math.round(step));
		const start = Math.floor(lo / step) * step;
		const ticks = [];
		for (let v = start; ticks.length < 12; v += step) {
			ticks.push(+v.toFixed(10));
			if (v >= hi - step * 1e-9) break;
		}
		return ticks;
	}

	function yDomain(values, spec) {
		let lo = spec.yMin !== undefined ? spec.yMin : Math.min(0, ...values);
		let hi = spec.yMax !== undefined ? spec.yMax : Math.max(...values);
		if (spec.yMax === undefined) {
			if (!(hi > lo)) hi = lo + (Math.abs(lo) || 1);
			const ticks = niceTicks(lo, hi, 4, spec.integer);
			hi = ticks[ticks.length - 1];
			lo = Math.min(lo, ticks[0]);
		}
		return [lo, hi];
	}

	/* Evenly spread indices: at most max of n, always the first and last. */
	function spread(n, max) {
		if (n <= max) return [...Array(n).keys()];
		const out = [];
		for (let i = 0; i < max; i++) out.push(Math.round(i * (n - 1) / (max - 1)));
		return [...new Set(out)];
	}

	function frame(w, yTicks, ys, yFmt) {
		const g = s("g", {"class": "axis"});
		for (const v of yTicks) {
			const y = ys(v);
			g.appendChild(s("line", {"class": "grid", x1: M.left, x2: w - M.right, y1: y, y2: y}));
			g.appendChild(s("text", {"class": "tick", x: M.left - 6, y: y + 4, "text-anchor": "end"}, yFmt(v)));
		}
		return g;
	}

	function emptyNote() {
		return h("div.chart-empty", {"data-testid": "chart-empty"}, t("chart.empty"));
	}

	function drawLine(spec, w) {
		const pts = spec.series.flatMap((se) => se.points);
		const vals = pts.map((p) => p.y).filter((v) => v !== null && v !== undefined && isFinite(v));
		const xs = [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
		const [ylo, yhi] = yDomain(vals, spec);
		let xlo = xs[0], xhi = xs[xs.length - 1];
		if (xhi === xlo) { xlo -= 1; xhi += 1; }
		const pw = w - M.left - M.right, ph = HEIGHT - M.top - M.bottom;
		const xsc = (x) => M.left + (x - xlo) / (xhi - xlo) * pw;
		const ysc = (y) => M.top + (1 - (y - ylo) / (yhi - ylo)) * ph;
		const yFmt = spec.yFmt || ((v) => RG.fmt.num(v));
		const svg = s("svg", {viewBox: `0 0 ${w} ${HEIGHT}`, width: w, height: HEIGHT, role: "img",
			"aria-label": spec.title || "", preserveAspectRatio: "none"});
		svg.appendChild(frame(w, niceTicks(ylo, yhi, 4, spec.integer).filter((v) => v <= yhi + 1e-9), ysc, yFmt));
		const xa = s("g", {"class": "axis"});
		const onlyOne = xs.length === 1;
		for (const i of spread(xs.length, Math.max(2, Math.floor(pw / 78)))) {
			const x = onlyOne ? M.left + pw / 2 : xsc(xs[i]);
			const anchor = onlyOne ? "middle" : i === 0 ? "start" : i === xs.length - 1 ? "end" : "middle";
			xa.appendChild(s("text", {"class": "tick", x, y: HEIGHT - 8, "text-anchor": anchor}, spec.xFmt(xs[i])));
		}
		xa.appendChild(s("line", {"class": "baseline", x1: M.left, x2: w - M.right, y1: M.top + ph, y2: M.top + ph}));
		svg.appendChild(xa);
		spec.series.forEach((se, k) => {
			const cls = "series s" + (k + 1);
			const g = s("g", {"class": cls});
			let d = "", pen = false, run = 0;
			const lone = [];
			se.points.forEach((p, i) => {
				const ok = p.y !== null && p.y !== undefined && isFinite(p.y);
				if (!ok) { pen = false; run = 0; return; }
				const x = onlyOne ? M.left + pw / 2 : xsc(p.x), y = ysc(p.y);
				d += (pen ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
				pen = true;
				run += 1;
				const prevOk = i > 0 && isFinite(se.points[i - 1].y) && se.points[i - 1].y !== null;
				const next = se.points[i + 1];
				const nextOk = next && next.y !== null && next.y !== undefined && isFinite(next.y);
				if (!prevOk && !nextOk) lone.push(i);
			});
			if (d) g.appendChild(s("path", {"class": "line", d}));
			se.points.forEach((p, i) => {
				if (p.y === null || p.y === undefined || !isFinite(p.y)) return;
				const x = onlyOne ? M.left + pw / 2 : xsc(p.x), y = ysc(p.y);
				const tip = (spec.xTip || spec.xFmt)(p.x) + " — " + (se.label ? se.label + " : " : "") + yFmt(p.y);
				g.appendChild(s("g", {"class": "pt"},
					s("title", null, p.tip || tip),
					s("circle", {"class": "hit", cx: x, cy: y, r: 9}),
					s("circle", {"class": lone.includes(i) ? "dot lone" : "dot", cx: x, cy: y, r: lone.includes(i) ? 3.5 : 2.5})));
			});
			svg.appendChild(g);
		});
		return svg;
	}

	function drawBar(spec, w) {
		const vals = spec.bars.map((b) => b.value).filter((v) => v !== null && v !== undefined && isFinite(v));
		const [ylo, yhi] = yDomain(vals, Object.assign({yMin: 0}, spec));
		const pw = w - M.left - M.right, ph = HEIGHT - M.top - M.bottom;
		const n = spec.bars.length;
		const band = pw / n;
		const ysc = (y) => M.top + (1 - (y - ylo) / (yhi - ylo)) * ph;
		const yFmt = spec.yFmt || ((v) => RG.fmt.num(v));
		const svg = s("svg", {viewBox: `0 0 ${w} ${HEIGHT}`, width: w, height: HEIGHT, role: "img",
			"aria-label": spec.title || "", preserveAspectRatio: "none"});
		svg.appendChild(frame(w, niceTicks(ylo, yhi, 4, spec.integer).filter((v) => v <= yhi + 1e-9), ysc, yFmt));
		const g = s("g", {"class": "series s1"});
		const labels = new Set(spread(n, Math.max(2, Math.floor(pw / (spec.labelWidth || 64)))));
		spec.bars.forEach((b, i) => {
			const x = M.left + i * band;
			const ok = b.value !== null && b.value !== undefined && isFinite(b.value);
			const bw = Math.max(1, Math.min(band * 0.72, 48));
			const tip = b.tip || (b.label + " — " + (ok ? yFmt(b.value) : "—"));
			const grp = s("g", {"class": "pt"}, s("title", null, tip),
				s("rect", {"class": "hit", x, y: M.top, width: band, height: ph}));
			if (ok) {
				const y = ysc(b.value), y0 = ysc(Math.max(0, ylo));
				grp.appendChild(s("rect", {"class": "bar", x: x + (band - bw) / 2, y: Math.min(y, y0),
					width: bw, height: Math.max(b.value > 0 ? 1 : 0, Math.abs(y0 - y)), rx: Math.min(3, bw / 4)}));
			}
			g.appendChild(grp);
			if (labels.has(i)) {
				g.appendChild(s("text", {"class": "tick", x: x + band / 2, y: HEIGHT - 8, "text-anchor": "middle"}, b.label));
			}
		});
		svg.appendChild(g);
		svg.appendChild(s("line", {"class": "baseline", x1: M.left, x2: w - M.right, y1: ysc(Math.max(0, ylo)), y2: ysc(Math.max(0, ylo))}));
		return svg;
	}

	function legend(series) {
		if (series.length < 2) return null;
		return h("ul.legend", null, series.map((se, k) =>
			h("li", null, h("span.swatch", {"class": "s" + (k + 1), "aria-hidden": "true"}), se.label)));
	}

	/* A chart element that (re)draws at its own width. */
	function mount(draw, hasData, testid, extra) {
		const box = h("div.chart-canvas");
		const el = h("div.chart", {"data-testid": testid || null}, box, extra || null);
		if (!hasData) {
			box.appendChild(emptyNote());
			return el;
		}
		let width = 0;
		const paint = (w) => {
			w = Math.max(220, Math.floor(w));
			if (w === width) return;
			width = w;
			RG.clear(box).appendChild(draw(w));
		};
		paint(520);
		if (window.ResizeObserver) {
			const ro = new ResizeObserver((entries) => {
				if (!box.isConnected) {
					ro.disconnect();
					return;
				}
				const w = entries[0].contentRect.width;
				if (w > 0) requestAnimationFrame(() => paint(w));
			});
			ro.observe(box);
		}
		return el;
	}

	function line(spec) {
		const has = spec.series.some((se) => se.points.some((p) => p.y !== null && p.y !== undefined && isFinite(p.y)));
		return mount((w) => drawLine(spec, w), has, spec.testid, legend(spec.series));
	}

	function bar(spec) {
		const has = spec.bars.some((b) => b.value !== null && b.value !== undefined && isFinite(b.value) && (b.value !== 0 || spec.zeroIsData));
		return mount((w) => drawBar(spec, w), has, spec.testid, null);
	}

	RG.charts = {line, bar, niceTicks};
})(window.RG);
