/*
 * ragops dashboard: the Deployments page.  Named runs on a cron schedule
 * (ragops deployment, or ragops.yaml): each one's schedule in its time
 * zone, its next three times, its last run, paused or not; and, behind
 * the admin token typed on the Feedback page, run it now, pause it,
 * resume it.
 */
"use strict";

(function (RG) {
	const {h, t, fmt} = RG;

	const page = {items: null, scheduler: null, error: null, gen: 0};
	/* The last action: {busy}, {ok, kind, name}, {error}. */
	let act = null;

	async function load() {
		const gen = ++page.gen;
		try {
			const j = await RG.api("api/deployments");
			if (gen !== page.gen) return;
			page.items = j.items || [];
			page.scheduler = !!j.scheduler;
			page.error = null;
		} catch (e) {
			if (gen !== page.gen) return;
			page.error = e;
		}
		RG.redraw("deployments");
	}

	/* POST .../run, .../pause or .../resume with the admin token. */
	async function action(name, kind) {
		const token = RG.adminToken();
		if (!token) {
			act = {error: "token"};
			RG.redraw("deployments");
			return;
		}
		act = {busy: true};
		RG.redraw("deployments");
		try {
			await RG.api("api/deployments/" + encodeURIComponent(name) + "/" + kind,
				{method: "POST", headers: {Authorization: "Bearer " + token}});
			act = {ok: true, kind, name};
		} catch (e) {
			act = {error: e};
		}
		RG.redraw("deployments");
		const el = document.getElementById("deployments-status");
		if (el) el.focus({preventScroll: true});
		/* a run started shows up as the deployment's last run once it has begun */
		setTimeout(load, kind === "run" ? 1500 : 0);
	}

	function status() {
		let body = null;
		if (!act || act.busy) {
			body = null;
		} else if (act.error === "token") {
			body = RG.tokenNeeded(t("dep.needToken"));
		} else if (act.error) {
			body = RG.errorBox(act.error, "admin");
		} else {
			body = h("p.notice.ok", {"data-testid": "deployment-done"}, t("dep.done." + act.kind, {name: act.name}));
		}
		return h("div#deployments-status", {tabindex: "-1", role: "status"}, body);
	}

	/* "2026-12-07T02:00:00+01:00": shown as the deployment's own local time, zone kept. */
	function when(iso) {
		const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso || "");
		return h("time", {datetime: iso}, m ? m[1] + " " + m[2] : iso || "—");
	}

	function lastRun(r) {
		if (!r) return h("span.sub", null, t("dep.never"));
		return h("span", null, h("a", {href: "#/runs/" + r.id, "data-testid": "deployment-last-run"}, "#" + r.id), " ",
			RG.badge("state", r.state),
			r.state === "skipped" && r.error ? h("span.sub", {lang: "en"}, " " + r.error) : null);
	}

	function actions(d) {
		const busy = !!(act && act.busy);
		return h("span.row-actions", null,
			h("button.btn.btn-small", {type: "button", disabled: busy, "data-testid": "deployment-run",
				on: {click: () => action(d.name, "run")}}, t("dep.runNow")),
			h("button.btn.btn-small.btn-quiet", {type: "button", disabled: busy,
				"data-testid": d.paused ? "deployment-resume" : "deployment-pause",
				on: {click: () => action(d.name, d.paused ? "resume" : "pause")}},
			t(d.paused ? "dep.resume" : "dep.pause")));
	}

	function table(items) {
		return RG.table([
			{label: t("dep.name"), head: true, cell: (d) => h("strong", null, d.name)},
			{label: t("dep.schedule"), cell: (d) => h("span", null, h("code", null, d.cron), h("span.sub", null, " " + d.timezone))},
			{label: t("dep.next"), wrap: true, cell: (d) => d.paused ? h("span.badge.badge-paused", {"data-state": "paused"}, t("dep.paused"))
				: h("span.next-runs", {"data-testid": "deployment-next"}, (d.next_runs || []).map((x, i) => [i ? ", " : "", when(x)]))},
			{label: t("dep.last"), wrap: true, cell: (d) => lastRun(d.last_run)},
			{label: t("dep.policies"), cell: (d) => h("span.sub", null, t("dep.missed." + d.missed) + " · " + t("dep.overlap." + d.overlap))},
			{label: t("dep.actions"), cell: actions},
		], items, {cls: "compact", testid: "deployments-table", rowTestid: "deployment-row", caption: t("dep.title")});
	}

	function render(root, param, reload) {
		root.appendChild(RG.pageHeader(t("dep.title"),
			h("div.head-actions", null,
				h("button.btn.btn-quiet", {type: "button", on: {click: load}, "data-testid": "deployments-refresh"}, t("common.refresh")))));
		root.appendChild(h("p.lead", null, t("dep.lead")));
		if (page.scheduler === false)
			root.appendChild(h("p.notice", {"data-testid": "scheduler-off"}, t("dep.schedulerOff")));
		root.appendChild(status());
		if (page.error) root.appendChild(RG.errorBox(page.error, "deployments"));
		if (page.items === null) {
			if (!page.error) root.appendChild(RG.loading());
		} else if (!page.items.length) {
			root.appendChild(h("div.card.empty-card", null, h("p", null, t("dep.none")), h("p.hint", null, t("dep.noneHint"))));
		} else {
			root.appendChild(h("section.card.flush", null, table(page.items)));
		}
		if (reload) {
			act = null;
			load();
		}
	}

	RG.deploymentsView = {render};
})(window.RG);
