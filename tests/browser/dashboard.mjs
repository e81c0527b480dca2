// The dashboard in a real (headless) Chromium: ask, open a source, mark one
// source helpful and another not, rate, read the feedback back over HTTP, then every page in English, on a laptop
// and on a phone; on the Releases page, roll back and promote through the
// buttons; on the Quality page, the retraining policy, Retrain now followed
// to its outcome, and a retraining's report (served canned) drawn in full.
// Driven by tests/integration/t0120-browser.sh, which makes two
// releases (the second in production) before it starts the server.
//
// Usage: node dashboard.mjs BASE_URL SHOTS_DIR
// Prints one line per check, "PASS\twhat" or "FAIL\twhat\tdetail", which the
// shell turns into TAP; anything else it prints is a comment.  Exits 0 when
// it ran to the end (failed checks included), non-zero when it crashed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const base = (process.argv[2] || "").replace(/\/+$/, "");
const shots = process.argv[3] || ".";
if (!base) {
	console.error("usage: node dashboard.mjs BASE_URL SHOTS_DIR");
	process.exit(2);
}
mkdirSync(shots, { recursive: true });

const QUESTION = "Comment éviter le flou de bougé ?";
// Markup in the comment must come back as text, never as elements.  The tag
// that makes it unique is in base 36: 13 digits in a row read as a phone
// number, which the server replaces by [phone] (docs/api.md, "Feedback text").
const COMMENT = `Il manque le trépied <b>&amp;</b> l'appui — test ${Date.now().toString(36)}`;
const CORRECTED = "Choisir une vitesse d'au moins 1/focale, activer la stabilisation ou poser l'appareil sur un trépied.";
const STEP_MS = 15000;
// Markup in a reason must come back as text too.
const ROLLBACK_REASON = `Retour arrière depuis le navigateur — test ${Date.now()}`;
const PROMOTE_REASON = `Remise en production <i>forcée</i> — test ${Date.now()}`;

const oneLine = (s) => String(s ?? "").replace(/\s+/g, " ").trim().slice(0, 600);
function pass(what) {
	console.log(`PASS\t${what}`);
}
function fail(what, detail) {
	console.log(`FAIL\t${what}\t${oneLine(detail)}`);
}
function assert(cond, detail) {
	if (!cond) throw new Error(detail || "assertion failed");
}
/* check("what", async () => {...}): a step that passes unless it throws */
async function check(what, fn) {
	try {
		await fn();
		pass(what);
		return true;
	} catch (e) {
		fail(what, e && e.message ? e.message.split("\n")[0] : e);
		return false;
	}
}

const problems = [];
function watch(page, label) {
	page.on("console", (msg) => {
		if (msg.type() === "error") problems.push(`${label} console: ${msg.text()} (${page.url()})`);
	});
	page.on("pageerror", (err) => problems.push(`${label} page error: ${err.message}`));
	page.on("requestfailed", (req) =>
		problems.push(`${label} request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText || ""}`));
	page.on("response", (res) => {
		if (res.status() >= 400) problems.push(`${label} HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
	});
}

/* A screenshot from the top of the page (the sticky header stays on top). */
async function shot(page, name, fullPage) {
	await page.waitForTimeout(400); /* let a smooth scroll finish first */
	await page.evaluate(() => window.scrollTo({ top: 0, behavior: "instant" }));
	await page.screenshot({ path: join(shots, name), fullPage });
}

const text = (page, sel) => page.locator(sel).first().innerText();
const testid = (id) => `[data-testid="${id}"]`;

/* Nothing wider than the screen (a mobile browser widens innerWidth to fit a page that overflows). */
async function noHorizontalScroll(page) {
	const vw = page.viewportSize().width;
	const m = await page.evaluate(() => ({
		sw: document.scrollingElement.scrollWidth,
		iw: window.innerWidth,
	}));
	assert(m.sw <= vw && m.iw <= vw, `scrollWidth ${m.sw}, innerWidth ${m.iw}, screen ${vw}`);
}

/* GET a JSON route of the server under test. */
async function getJson(path) {
	const res = await fetch(base + path);
	assert(res.status === 200, `GET ${path}: HTTP ${res.status}`);
	return res.json();
}

async function askQuestion(page) {
	await page.locator(testid("question")).fill(QUESTION);
	await page.locator(testid("ask-submit")).click();
	await page.locator(testid("answer-text")).waitFor({ timeout: STEP_MS });
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
	headless: true,
	args: ["--no-sandbox", "--disable-dev-shm-usage"],
});

try {
	const laptop = await browser.newContext({
		locale: "fr-FR",
		viewport: { width: 1366, height: 900 },
		acceptDownloads: true,
	});
	const page = await laptop.newPage();
	page.setDefaultTimeout(STEP_MS);
	watch(page, "laptop");
	const adminPosts = [];
	page.on("request", (req) => {
		if (req.method() === "POST" && /\/api\/(releases\/\d+\/promote|deploy\/rollback)$/.test(req.url())) adminPosts.push(req.url());
	});

	const opened = await check("the dashboard opens, in French for a French browser", async () => {
		await page.goto(base + "/", { waitUntil: "domcontentloaded" });
		await page.locator(testid("page-title")).waitFor();
		assert((await page.getAttribute("html", "lang")) === "fr", "html lang is not fr");
		const h1 = await text(page, testid("page-title"));
		assert(h1 === "Poser une question", `heading is '${h1}'`);
		assert((await page.locator(testid("nav-ask")).getAttribute("aria-current")) === "page", "Ask tab not current");
	});

	if (!opened) {
		/* every later step would wait for its timeout: stop here */
		await browser.close();
		process.exit(1);
	}

	await check(`asking '${QUESTION}' shows an answer`, async () => {
		await askQuestion(page);
		const answer = await text(page, testid("answer-text"));
		assert(answer.length > 40, `answer too short: '${answer}'`);
		assert((await page.locator(testid("abstained")).count()) === 0, "the answer abstained");
	});

	await check("the answer names the release in production that answered it", async () => {
		const { production } = await getJson("/api/releases");
		assert(production === 2, `GET /api/releases says production is ${production}`);
		const link = page.locator(testid("answer-release"));
		await link.waitFor();
		assert((await link.getAttribute("href")) === "#/releases/2", `links to '${await link.getAttribute("href")}'`);
		assert(/\b2\b/.test(await link.innerText()), `says '${await link.innerText()}'`);
	});

	await check("its sources name vitesse-obturation", async () => {
		const n = await page.locator(testid("source")).count();
		assert(n >= 1, "no source listed");
		const hit = page.locator(testid("source"), { hasText: "vitesse-obturation" });
		assert((await hit.count()) >= 1, "no source names vitesse-obturation");
	});

	await check("a source opens on click to show its heading, pages and marked snippet", async () => {
		const src = page.locator(testid("source"), { hasText: "vitesse-obturation" }).first();
		const toggle = src.locator(testid("source-toggle"));
		assert((await toggle.getAttribute("aria-expanded")) === "false", "source open before the click");
		await toggle.click();
		const body = page.locator(testid("source"), { hasText: "vitesse-obturation" }).first().locator(testid("source-snippet"));
		await body.waitFor({ state: "visible" });
		assert((await page.locator(testid("source"), { hasText: "vitesse-obturation" }).first()
			.locator(testid("source-toggle")).getAttribute("aria-expanded")) === "true", "aria-expanded not true");
		const snippet = await body.innerText();
		assert(/flou|bougé/i.test(snippet), `snippet without the question's words: '${snippet.slice(0, 120)}'`);
		assert((await body.locator("mark").count()) >= 1, "no <mark> in the snippet");
		assert(!snippet.includes("**"), "raw ** markers left in the snippet");
		assert(/p\.\s*\d/.test(snippet), "no page number");
	});

	/* The documents marked ✓ and ✗ below, checked in the record the API returns. */
	let helpfulDoc = null, unhelpfulDoc = null;
	await check("✓ marks one source helpful and ✗ another not helpful (aria-pressed, titled, exclusive)", async () => {
		const sources = page.locator(testid("source"));
		const docOf = async (i) => sources.nth(i).locator(".source-doc code.path").getAttribute("title");
		const n = await sources.count();
		let good = -1, bad = -1;
		for (let i = 0; i < n; i++) {
			const doc = await docOf(i);
			if (good < 0 && /vitesse-obturation/.test(doc)) good = i;
			else if (bad < 0 && !/vitesse-obturation/.test(doc)) bad = i;
		}
		assert(good >= 0 && bad >= 0, `no two sources of different documents among ${n}`);
		helpfulDoc = await docOf(good);
		unhelpfulDoc = await docOf(bad);
		const yes = (i) => sources.nth(i).locator(testid("source-helpful"));
		const no = (i) => sources.nth(i).locator(testid("source-unhelpful"));
		const pressed = async (b) => (await b.getAttribute("aria-pressed")) === "true";
		assert((await yes(good).getAttribute("title")) === "utile", `✓ titled '${await yes(good).getAttribute("title")}'`);
		assert((await no(good).getAttribute("title")) === "pas utile", `✗ titled '${await no(good).getAttribute("title")}'`);
		assert(!(await pressed(yes(good))) && !(await pressed(no(good))), "a toggle pressed before any click");
		await yes(good).click();
		assert(await pressed(yes(good)), "✓ not pressed after its click");
		await no(good).click();
		assert(await pressed(no(good)) && !(await pressed(yes(good))), "✗ did not replace ✓ on the same source");
		await yes(good).click();
		assert(await pressed(yes(good)) && !(await pressed(no(good))), "✓ did not replace ✗ on the same source");
		await no(bad).click();
		assert(await pressed(no(bad)) && !(await pressed(yes(bad))), "✗ on the other source not pressed");
		assert(await pressed(yes(good)), "marking another source unmarked the first");
		const summary = await text(page, testid("feedback-judged"));
		assert(/1 ✓ utile/.test(summary) && /1 ✗ pas utile/.test(summary), `the form says '${summary}'`);
	});

	await check("rating 2 with a comment and a corrected answer is sent and confirmed", async () => {
		await page.locator('label[for="rating-2"]').click();
		assert(await page.locator(testid("rating-2")).isChecked(), "rating 2 not checked");
		await page.locator(testid("feedback-text")).fill(COMMENT);
		await page.locator(testid("feedback-corrected")).fill(CORRECTED);
		await page.locator(testid("feedback-submit")).click();
		const conf = page.locator(testid("feedback-confirmation"));
		await conf.waitFor();
		const msg = await conf.innerText();
		assert(/Merci/.test(msg), `confirmation says '${msg}'`);
		assert(await page.locator(testid("feedback-submit")).isDisabled(), "the form can be sent twice");
		assert(await page.locator(testid("source-helpful")).first().isDisabled(), "sources can still be marked once sent");
	});

	await shot(page, "ask-laptop.png", true);

	await check("GET /api/feedback holds exactly that feedback: rating 2, the comment, the correction, a query id, the sources marked", async () => {
		const res = await fetch(base + "/api/feedback?limit=500");
		assert(res.status === 200, `HTTP ${res.status}`);
		const j = await res.json();
		const mine = (j.items || []).filter((f) => f.feedback_text === COMMENT);
		assert(mine.length === 1, `${mine.length} records carry the comment`);
		const f = mine[0];
		assert(f.rating === 2, `rating ${f.rating}`);
		assert(f.corrected_answer === CORRECTED, `corrected_answer '${f.corrected_answer}'`);
		assert(Number.isInteger(f.query_id), `query_id ${f.query_id}`);
		assert(f.question === QUESTION, `question '${f.question}'`);
		assert(JSON.stringify(f.helpful_sources) === JSON.stringify([helpfulDoc]),
			`helpful_sources ${JSON.stringify(f.helpful_sources)}, wanted ["${helpfulDoc}"]`);
		assert(JSON.stringify(f.unhelpful_sources) === JSON.stringify([unhelpfulDoc]),
			`unhelpful_sources ${JSON.stringify(f.unhelpful_sources)}, wanted ["${unhelpfulDoc}"]`);
	});

	await check("the EN switch turns the page to English (a source's ✓ / ✗ titled helpful / not helpful), and is remembered", async () => {
		await page.locator(testid("lang-en")).click();
		const h1 = await text(page, testid("page-title"));
		assert(h1 === "Ask a question", `heading is '${h1}'`);
		const titles = [await page.locator(testid("source-helpful")).first().getAttribute("title"),
			await page.locator(testid("source-unhelpful")).first().getAttribute("title")];
		assert(titles.join("/") === "helpful/not helpful", `the toggles are titled ${titles.join(" / ")}`);
		assert((await page.getAttribute("html", "lang")) === "en", "html lang is not en");
		assert((await text(page, testid("nav-runs"))) === "Runs", "the nav stayed French");
		assert((await page.locator(testid("answer-text")).count()) === 1, "the answer was lost");
		await page.waitForLoadState("networkidle");
		await page.reload({ waitUntil: "domcontentloaded" });
		await page.locator(testid("page-title")).waitFor();
		const again = await text(page, testid("page-title"));
		assert(again === "Ask a question", `after a reload the heading is '${again}'`);
	});

	await check("Runs lists the run, completed", async () => {
		await page.locator(testid("nav-runs")).click();
		await page.waitForURL(/#\/runs$/);
		await page.locator(testid("run-row")).first().waitFor();
		const state = await page.locator(testid("run-row")).first().locator("[data-state]").first().getAttribute("data-state");
		assert(state === "completed", `the latest run is '${state}'`);
		assert((await text(page, testid("page-title"))) === "Runs", "heading not English");
	});
	await shot(page, "runs-laptop.png", true);

	await check("a run's page shows its state, documents and tasks", async () => {
		await page.locator(testid("run-link")).first().click();
		await page.waitForURL(/#\/runs\/\d+$/);
		await page.locator(testid("run-summary")).waitFor();
		assert((await page.locator(`${testid("run-state")} [data-state]`).getAttribute("data-state")) === "completed", "run not completed");
		const rows = await page.locator(testid("task-row")).count();
		assert(rows > 0, "no task rows");
		await page.locator(testid("task-filter-completed")).click();
		assert((await page.locator(testid("task-row")).count()) > 0, "the completed filter hides everything");
		await page.locator(testid("task-filter-all")).click();
	});
	await shot(page, "run-laptop.png", false);

	await check("Releases lists both releases, the one in production marked, with production's figures", async () => {
		const api = await getJson("/api/releases");
		assert(api.items.length === 2 && api.production === 2, `API: ${api.items.length} releases, production ${api.production}`);
		await page.locator(testid("nav-releases")).click();
		await page.waitForURL(/#\/releases$/);
		await page.locator(testid("release-row")).first().waitFor();
		assert((await text(page, testid("page-title"))) === "Releases", "heading not English");
		assert((await page.locator(testid("nav-releases")).getAttribute("aria-current")) === "page", "Releases tab not current");
		const rows = page.locator(testid("release-row"));
		assert((await rows.count()) === 2, `${await rows.count()} rows`);
		const prod = page.locator(`${testid("release-row")}.is-production`);
		assert((await prod.count()) === 1, `${await prod.count()} rows marked as production`);
		assert((await prod.locator(testid("release-link")).innerText()) === "#2", "release 2 is not the one marked");
		assert((await prod.locator('[data-state="production"]').count()) === 1, "no production badge on its row");
		assert((await rows.nth(1).locator('[data-state="archived"]').count()) === 1, "release 1 not shown archived");
		assert((await page.locator(testid("production")).getAttribute("data-id")) === "2", "the production card names another release");
		/* release 2 was measured against release 1: recall@5 and MRR, each with production's figure */
		assert((await prod.locator(testid("vs-production")).count()) === 2, "release 2's figures lack production's");
		assert(/\d/.test(await prod.innerText()), "no figures");
	});
	await shot(page, "releases-laptop.png", true);

	await check("a release's page shows its changes, every gate check and its history", async () => {
		await page.locator(`${testid("release-row")}.is-production ${testid("release-link")}`).click();
		await page.waitForURL(/#\/releases\/2$/);
		await page.locator(testid("release-check")).first().waitFor();
		const api = await getJson("/api/releases/2");
		assert((await page.locator(`${testid("release-state")} [data-state]`).getAttribute("data-state")) === "production",
			"not shown in production");
		const n = await page.locator(testid("release-check")).count();
		assert(n === api.checks.length && n >= 7, `${n} checks shown, ${api.checks.length} in the API`);
		const passed = await page.locator(`${testid("release-check")} [data-state="ok"]`).count();
		assert(passed === api.checks.filter((c) => c.ok).length, `${passed} shown passed`);
		for (const name of ["Chunks", "Vectors", "Recall@5", "MRR"]) {
			const row = page.locator(testid("release-check")).filter({ hasText: name });
			assert((await row.count()) >= 1, `no '${name}' check`);
		}
		const recall = await page.locator(testid("release-check")).filter({ hasText: "Recall@5" }).first().innerText();
		assert(/max drop/.test(recall) && /\d\.\d{3}/.test(recall), `recall@5 check without its value, threshold or detail: '${oneLine(recall)}'`);
		const added = await page.locator(testid("changes-added")).innerText();
		assert(added.includes("balance-des-blancs.md"), `added: '${oneLine(added)}'`);
		assert(/\d+\s*→\s*\d+/.test(await text(page, testid("chunks-delta"))), "no chunk counts");
		const events = await page.locator(testid("release-event")).count();
		assert(events === api.history.length && events >= 1, `${events} history rows, ${api.history.length} in the API`);
		assert(/the gate/.test(await page.locator(testid("release-event")).first().innerText()), "the gate's promotion not shown");
		assert((await page.locator(testid("promote-form")).count()) === 0, "a promote form on the release in production");
	});
	await shot(page, "release-laptop.png", true);

	await check("without the admin token, Roll back asks for it and sends nothing", async () => {
		await page.locator(testid("nav-releases")).click();
		await page.waitForURL(/#\/releases$/);
		await page.locator(testid("release-rollback")).click();
		await page.locator(testid("rollback-reason")).waitFor();
		assert(await page.locator(testid("rollback-reason")).evaluate((el) => el === document.activeElement), "the reason field is not focused");
		await page.locator(testid("rollback-confirm")).click();
		await page.locator(`${testid("release-status")} ${testid("token-needed")}`).waitFor();
		assert(adminPosts.length === 0, `sent ${adminPosts.join(", ")}`);
		assert((await getJson("/api/releases")).production === 2, "production changed");
	});

	await check("Quality draws its charts as SVG and shows the health report", async () => {
		await page.locator(testid("nav-quality")).click();
		await page.waitForURL(/#\/quality$/);
		await page.locator(`${testid("charts")}`).waitFor();
		const svgs = await page.locator(`${testid("charts")} svg`).count();
		assert(svgs >= 3, `${svgs} SVG charts`);
		const empties = await page.locator(`${testid("charts")} ${testid("chart-empty")}`).count();
		const cards = await page.locator(`${testid("charts")} figure`).count();
		assert(cards >= 5 && svgs + empties === cards, `${cards} chart cards, ${svgs} drawn, ${empties} empty`);
		await page.locator(testid("health-status")).waitFor();
		const status = await page.locator(testid("health-status")).getAttribute("data-state");
		assert(["ok", "degraded", "down"].includes(status), `health status '${status}'`);
		const checks = await page.locator(testid("health-check")).count();
		assert(checks >= 5, `${checks} health checks`);
		const latency = page.locator(`${testid("chart-latency")} svg circle.dot`);
		assert((await latency.count()) >= 1, "no latency point for today's question");
	});
	await shot(page, "quality-laptop.png", true);

	await check("Quality shows the retraining policy rule by rule, its verdict, and no retraining yet", async () => {
		const api = await getJson("/api/retrain");
		await page.locator(testid("retrain-rule")).first().waitFor();
		const rows = page.locator(testid("retrain-rule"));
		assert((await rows.count()) === api.policy.rules.length && api.policy.rules.length === 6,
			`${await rows.count()} rule rows, ${api.policy.rules.length} in the API`);
		for (const name of ["New feedback", "Mean rating", "Share of low ratings", "Corpus change",
			"Questions without a source", "Drop on feedback questions"])
			assert((await rows.filter({ hasText: name }).count()) === 1, `no '${name}' row`);
		const mean = await rows.filter({ hasText: "Mean rating" }).innerText();
		assert(/3\.50/.test(mean) && /30 days|30d/.test(mean) && /fewer than retrain\.min_ratings/.test(mean),
			`mean rating row: '${oneLine(mean)}'`);
		const verdict = page.locator(testid("retrain-verdict"));
		assert((await verdict.getAttribute("data-recommended")) === String(api.policy.retrain), "the verdict differs from the API's");
		assert(/Retraining recommended: (yes|no) — \S/.test(await verdict.innerText()), `verdict: '${oneLine(await verdict.innerText())}'`);
		assert(api.last === null, "a retraining already in the API");
		await page.locator(testid("retrain-none")).waitFor();
		assert((await page.locator(testid("retrain-start")).count()) === 0, "Retrain now offered without the admin token");
	});

	await check("Feedback lists the new feedback, its markup shown as text, with the sources marked", async () => {
		await page.locator(testid("nav-feedback")).click();
		await page.waitForURL(/#\/feedback$/);
		const item = page.locator(testid("feedback-item"), { hasText: "test " }).filter({ hasText: COMMENT.slice(-13) });
		await item.first().waitFor();
		assert((await item.count()) === 1, `${await item.count()} items with the comment`);
		const comment = await item.locator(testid("feedback-item-comment")).innerText();
		assert(comment.includes(COMMENT), `comment shown as '${comment}'`);
		assert((await item.locator("b").count()) === 0, "the comment's <b> became an element");
		assert((await item.innerText()).includes(CORRECTED), "corrected answer not shown");
		assert((await item.locator('[data-rating="2"]').count()) === 1, "rating 2 not shown");
		const helpful = await item.locator(testid("feedback-item-helpful")).innerText();
		const unhelpful = await item.locator(testid("feedback-item-unhelpful")).innerText();
		assert(helpful.includes(helpfulDoc) && unhelpful.includes(unhelpfulDoc),
			`the sources marked shown as '${helpful}' and '${unhelpful}'`);
		await item.locator("details.fb-answer summary").click();
		const given = await item.locator("details.fb-answer").innerText();
		assert(given.includes(helpfulDoc) && !given.includes("[object"), `the answer's sources shown as '${given.slice(-200)}'`);
	});
	await shot(page, "feedback-laptop.png", true);

	if (process.env.RAGOPS_SERVE_TOKEN) {
		await check("the export asks for the token, then downloads the feedback with it", async () => {
			await page.locator(testid("export-button")).click();
			await page.locator("#admin-token:focus").waitFor();
			await page.locator(testid("admin-token")).fill(process.env.RAGOPS_SERVE_TOKEN);
			const [download] = await Promise.all([
				page.waitForEvent("download"),
				page.locator(testid("export-button")).click(),
			]);
			const path = join(shots, "export.jsonl");
			await download.saveAs(path);
			const { readFileSync } = await import("node:fs");
			const body = readFileSync(path, "utf8");
			assert(body.includes(JSON.stringify(COMMENT).slice(1, -1)), "the export lacks the feedback");
			await page.locator(testid("export-done")).waitFor();
		});

		await check("Runs starts a run with the token, and shows it completed", async () => {
			await page.locator(testid("nav-runs")).click();
			await page.waitForURL(/#\/runs$/);
			const before = await page.locator(testid("run-row")).count();
			await page.locator(testid("runs-start")).click();
			await page.locator(testid("run-started")).waitFor();
			const deadline = Date.now() + 30000;
			for (;;) {
				await page.locator(testid("runs-refresh")).click();
				await page.waitForLoadState("networkidle");
				const rows = page.locator(testid("run-row"));
				if ((await rows.count()) > before &&
				    (await rows.first().locator("[data-state]").first().getAttribute("data-state")) === "completed")
					break;
				assert(Date.now() < deadline, "the started run never showed up completed");
				await page.waitForTimeout(500);
			}
			await page.locator(testid("nav-feedback")).click();
			await page.waitForURL(/#\/feedback$/);
		});

		await check("Deployments lists nightly with its next three times at 02:00 Paris time; pause, resume and run it with the token", async () => {
			await page.locator(testid("nav-deployments")).click();
			await page.waitForURL(/#\/deployments$/);
			const row = page.locator(testid("deployment-row")).filter({ hasText: "nightly" });
			await row.waitFor();
			const next = await row.locator(testid("deployment-next")).innerText();
			assert((next.match(/ 02:00/g) || []).length === 3, `next runs shown as '${next}'`);
			await row.locator(testid("deployment-pause")).click();
			await page.locator(testid("deployment-done")).waitFor();
			await row.locator(testid("deployment-resume")).waitFor();
			assert((await getJson("/api/deployments")).items[0].paused === true, "the API does not say it is paused");
			await row.locator(testid("deployment-resume")).click();
			await row.locator(testid("deployment-pause")).waitFor();
			assert((await getJson("/api/deployments")).items[0].paused === false, "the API says it is still paused");
			await row.locator(testid("deployment-run")).click();
			await page.locator(testid("deployment-done")).waitFor();
			const deadline = Date.now() + 30000;
			for (;;) {
				await page.locator(testid("deployments-refresh")).click();
				await page.waitForLoadState("networkidle");
				const last = row.locator(testid("deployment-last-run"));
				if ((await last.count()) &&
				    (await row.locator("[data-state]").last().getAttribute("data-state")) === "completed")
					break;
				assert(Date.now() < deadline, "the deployment's run never showed up completed");
				await page.waitForTimeout(500);
			}
			const runs = (await getJson("/api/runs?limit=1")).items;
			assert(runs[0].trigger === "deployment", `the newest run was started by '${runs[0].trigger}'`);
		});
		await shot(page, "deployments-laptop.png", true);

		await check("Roll back through the button, with the token: GET /api/releases reports release 1 in production", async () => {
			await page.locator(testid("nav-releases")).click();
			await page.waitForURL(/#\/releases$/);
			await page.locator(`${testid("production")}[data-id="2"]`).waitFor();
			await page.locator(testid("release-rollback")).click();
			await page.locator(testid("rollback-reason")).fill(ROLLBACK_REASON);
			await page.locator(testid("rollback-confirm")).click();
			await page.locator(testid("release-done")).waitFor();
			const api = await getJson("/api/releases");
			assert(api.production === 1, `production is ${api.production}`);
			const ev = (await getJson("/api/releases/1")).history[0] || {};
			assert(ev.action === "rollback" && ev.from === 2 && ev.to === 1 && ev.by === "api" && ev.reason === ROLLBACK_REASON,
				`last event of release 1: ${JSON.stringify(ev)}`);
			/* the page follows: release 1 marked, and nothing before it to roll back to */
			await page.locator(`${testid("production")}[data-id="1"]`).waitFor();
			assert((await page.locator(`${testid("release-row")}.is-production ${testid("release-link")}`).innerText()) === "#1",
				"the list still marks release 2");
			assert(await page.locator(testid("release-rollback")).isDisabled(), "Roll back still offered with nothing to go back to");
			await page.locator(testid("rollback-none")).waitFor();
		});
		await shot(page, "releases-rolled-back-laptop.png", true);

		await check("Promote through the button, forced, with a reason: release 2 in production again", async () => {
			await page.locator(testid("release-link"), { hasText: /^#2$/ }).click();
			await page.waitForURL(/#\/releases\/2$/);
			await page.locator(testid("promote-form")).waitFor();
			await page.locator(testid("promote-force")).check();
			await page.locator(testid("promote-reason")).fill(PROMOTE_REASON);
			await page.locator(testid("promote-button")).click();
			const done = page.locator(testid("release-done"));
			await done.waitFor();
			assert(/#2/.test(await done.innerText()) && /#1/.test(await done.innerText()), `says '${oneLine(await done.innerText())}'`);
			const api = await getJson("/api/releases");
			assert(api.production === 2, `production is ${api.production}`);
			const ev = (await getJson("/api/releases/2")).history[0] || {};
			assert(ev.action === "promote" && ev.from === 1 && ev.to === 2 && ev.by === "api" && ev.forced === true &&
				ev.reason === PROMOTE_REASON, `last event of release 2: ${JSON.stringify(ev)}`);
			/* the page follows: in production, the forced promotion on top of its history, its reason as text */
			await page.locator(`${testid("release-state")} [data-state="production"]`).waitFor();
			const row = page.locator(testid("release-event")).first();
			await row.locator(testid("event-forced")).waitFor();
			assert((await row.innerText()).includes(PROMOTE_REASON), `history row: '${oneLine(await row.innerText())}'`);
			assert((await row.locator("i").count()) === 0, "the reason's <i> became an element");
			assert((await page.locator(testid("promote-form")).count()) === 0, "the promote form is still there");
		});
		await shot(page, "release-promoted-laptop.png", true);

		await check("Retrain now, with the token: the page follows the retraining to its outcome, as the API records it", async () => {
			await page.locator(testid("nav-quality")).click();
			await page.waitForURL(/#\/quality$/);
			await page.locator(testid("retrain-start")).click();
			const state = page.locator(testid("retrain-last-state"));
			const deadline = Date.now() + 60000;
			for (;;) {
				const s = (await state.count()) ? await state.getAttribute("data-state") : null;
				if (["promoted", "refused", "nothing", "failed"].includes(s)) break;
				assert(Date.now() < deadline, `the retraining never showed an outcome (state '${s}')`);
				await page.waitForTimeout(300);
			}
			await page.locator(testid("retrain-ended")).waitFor();
			const api = await getJson("/api/retrain");
			assert(!api.running && api.last && api.last.actor === "api", `API: ${JSON.stringify(api.last).slice(0, 200)}`);
			assert((await state.getAttribute("data-state")) === api.last.state, `shown '${await state.getAttribute("data-state")}', API '${api.last.state}'`);
			assert(["promoted", "refused", "nothing"].includes(api.last.state), `state '${api.last.state}': ${api.last.report && api.last.report.reasons}`);
			const reasons = await page.locator(`${testid("retrain-reasons")} li`).count();
			assert(reasons === api.last.report.reasons.length && reasons >= 1, `${reasons} reasons shown`);
			assert(await page.locator(testid("retrain-start")).isEnabled(), "Retrain now still disabled");
		});
		await shot(page, "quality-retrained-laptop.png", true);

		await check("a retraining's report: what was trained, kept or not, the figures before and after, golden sets too", async () => {
			const report = {
				state: "refused", promoted: false, release: 4,
				reasons: ["ranker: left out (MRR on held-out feedback 0.800 → 0.750)", "nothing learned does better than production"],
				trained: [
					{ component: "embedder", model: "builtin-lsa-1", kept: true, validation_mrr: { before: 0.8, after: 0.85 },
						train_mrr: { before: 0.9, after: 0.95 }, detail: "refit on the corpus <b>x</b>" },
					{ component: "ranker", model: "ranker-1", kept: false, validation_mrr: { before: 0.8, after: 0.75 },
						train_mrr: { before: 0.926, after: 0.861 }, detail: "logistic regression" },
				],
				before: { validation: { questions: 4, recall_at_1: 0.5, recall_at_5: 1, mrr: 0.8 }, train: {} },
				after: { validation: { questions: 4, recall_at_1: 0.75, recall_at_5: 1, mrr: 0.85 }, train: {} },
				golden: { before: { questions: 16, recall_at_1: 0.9, recall_at_5: 1, mrr: 0.95 },
					after: { questions: 16, recall_at_1: 0.8, recall_at_5: 1, mrr: 0.9 } },
				data: { rows: 9, train: 5, validation: 4 },
			};
			const api = await getJson("/api/retrain");
			const last = { id: 7, state: "refused", started_at: "2026-12-04T10:00:00Z", started_at_ms: Date.parse("2026-12-04T10:00:00Z"),
				ended_at: "2026-12-04T10:00:05Z", ended_at_ms: Date.parse("2026-12-04T10:00:05Z"), duration_s: 5,
				actor: "api", release: 4, feedback_upto: 9, report };
			await page.route("**/api/retrain", (route) => route.fulfill({
				status: 200, contentType: "application/json", body: JSON.stringify({ policy: api.policy, last, running: false }),
			}));
			await page.reload({ waitUntil: "domcontentloaded" });
			await page.locator(testid("retrain-component")).first().waitFor();
			assert((await page.locator(`${testid("retrain-last-state")}[data-state="refused"]`).count()) === 1, "state not shown refused");
			const comps = page.locator(testid("retrain-component"));
			assert((await comps.count()) === 2, `${await comps.count()} components`);
			const ranker = await comps.filter({ hasText: "Ranker" }).innerText();
			assert(/left out/.test(ranker) && /0\.800\s*→\s*0\.750/.test(ranker) && /0\.926\s*→\s*0\.861/.test(ranker),
				`ranker row: '${oneLine(ranker)}'`);
			assert((await comps.filter({ hasText: "Ranker" }).locator(".worse").count()) === 2, "the drops are not marked");
			const emb = comps.filter({ hasText: "Embedder" });
			assert(/kept/.test(await emb.innerText()) && (await emb.locator("b").count()) === 0, "embedder row: not kept, or markup");
			const figs = page.locator(testid("retrain-figure"));
			assert((await figs.count()) === 3, `${await figs.count()} figure rows`);
			const r1 = await figs.filter({ hasText: "Recall@1" }).innerText();
			assert(/0\.500\s*→\s*0\.750/.test(r1) && /0\.900\s*→\s*0\.800/.test(r1), `recall@1 row: '${oneLine(r1)}'`);
			const head = await page.locator(`${testid("retrain-figures-table")} thead`).textContent();
			assert(/Held-out feedback \(4 questions\)/.test(head) && /Golden sets \(16\)/.test(head), `figure columns: '${oneLine(head)}'`);
			assert((await page.locator(`${testid("retrain-reasons")} li`).count()) === 2, "reasons not listed");
			assert((await page.locator(testid("retrain-state")).innerText()).includes("refused"), "state label");
			await page.unroute("**/api/retrain");
		});
		await shot(page, "quality-retraining-report-laptop.png", true);
		await page.locator(testid("nav-feedback")).click().catch(() => {});
		await page.waitForURL(/#\/feedback$/).catch(() => {});
	}

	await check("back in French, the choice kept across pages", async () => {
		await page.locator(testid("lang-fr")).click();
		assert((await text(page, testid("page-title"))) === "Avis des utilisateurs", "Feedback heading not French");
		await page.locator(testid("nav-ask")).click();
		await page.waitForURL(/#\/ask$/);
		/* the route changes on the hashchange event, after the click returns */
		await page.locator(testid("page-title"), { hasText: /^Poser une question$/ }).waitFor({ timeout: 5000 })
			.catch(async () => { throw new Error(`Ask heading is '${await text(page, testid("page-title"))}'`); });
	});

	// The phone: the Ask page with an answer and an open source, then every
	// page, none wider than the screen.
	const phone = await browser.newContext({
		locale: "fr-FR",
		viewport: { width: 390, height: 844 },
		deviceScaleFactor: 2,
		isMobile: true,
		hasTouch: true,
	});
	const mobile = await phone.newPage();
	mobile.setDefaultTimeout(STEP_MS);
	watch(mobile, "phone");
	await check("on a 390x844 phone the Ask page, answered, does not scroll sideways", async () => {
		await mobile.goto(base + "/#/ask", { waitUntil: "domcontentloaded" });
		await noHorizontalScroll(mobile);
		await askQuestion(mobile);
		await mobile.locator(testid("source-toggle")).first().click();
		await mobile.locator(testid("source-snippet")).first().waitFor({ state: "visible" });
		await noHorizontalScroll(mobile);
	});
	await shot(mobile, "ask-phone.png", true);
	for (const [route, ready, file, full] of [
		["#/runs", testid("run-row"), "runs-phone.png", true],
		["#/runs/1", testid("task-row"), "run-phone.png", false],
		["#/releases", testid("release-row"), "releases-phone.png", true],
		["#/releases/2", testid("release-check"), "release-phone.png", true],
		["#/releases/1", testid("promote-form"), "release-promote-phone.png", false],
		["#/deployments", testid("deployment-row"), "deployments-phone.png", true],
		["#/quality", `${testid("charts")} figure`, "quality-phone.png", false],
		["#/feedback", testid("feedback-item"), "feedback-phone.png", true],
	]) {
		await check(`on the phone ${route} does not scroll sideways`, async () => {
			await mobile.goto(base + "/" + route, { waitUntil: "domcontentloaded" });
			await mobile.locator(ready).first().waitFor();
			await mobile.waitForLoadState("networkidle");
			await noHorizontalScroll(mobile);
			await shot(mobile, file, full);
		});
	}

	await check("no console error, page error, failed request or HTTP error on the way", async () => {
		await page.waitForLoadState("networkidle");
		await mobile.waitForLoadState("networkidle");
		assert(problems.length === 0, problems.join(" | "));
	});

	// API errors, with the server's replies replaced: shown in the page.
	await check("a 429 shows 'too many requests, retry in N s' in the page", async () => {
		await page.route("**/api/ask", (route) => route.fulfill({
			status: 429, contentType: "application/json", headers: { "Retry-After": "7" },
			body: JSON.stringify({ error: "too many requests" }),
		}));
		await page.locator(testid("question")).fill("Et le trépied ?");
		await page.locator(testid("ask-submit")).click();
		const alert = page.locator(`#ask-error ${testid("error")}`);
		await alert.waitFor();
		const msg = await alert.innerText();
		assert(/Trop de requêtes/.test(msg) && /\b[67]\s*s\b/.test(msg), `alert says '${msg}'`);
		await page.unroute("**/api/ask");
	});
	await check("a 400 shows the server's message and the field in the page", async () => {
		await page.route("**/api/ask", (route) => route.fulfill({
			status: 400, contentType: "application/json",
			body: JSON.stringify({ error: "question longer than 2000 characters", field: "question" }),
		}));
		await page.locator(testid("ask-submit")).click();
		const alert = page.locator(`#ask-error ${testid("error")}`);
		await alert.filter({ hasText: "2000" }).waitFor();
		const msg = await alert.innerText();
		assert(/question/.test(msg) && /2000 characters/.test(msg), `alert says '${msg}'`);
		await page.unroute("**/api/ask");
	});

	if (process.env.RAGOPS_SERVE_TOKEN) {
		await check("a refused promotion shows the server's 409 message in the page", async () => {
			const refusal = "release 1 refused: recall@5: 1.000 → 0.800 (max drop 0.02); production unchanged";
			await page.route("**/api/releases/*/promote", (route) => route.fulfill({
				status: 409, contentType: "application/json", body: JSON.stringify({ error: refusal }),
			}));
			await page.goto(base + "/#/releases/1", { waitUntil: "domcontentloaded" });
			await page.locator(testid("promote-button")).click();
			const alert = page.locator(`${testid("release-status")} ${testid("error")}`);
			await alert.waitFor();
			const msg = await alert.innerText();
			assert(/refusé l’opération/.test(msg) && msg.includes(refusal), `alert says '${oneLine(msg)}'`);
			await page.unroute("**/api/releases/*/promote");
		});
		await check("a wrong admin token shows the server's 401 message, and production stays", async () => {
			await page.evaluate(() => sessionStorage.setItem("ragops.adminToken", "not-the-token"));
			await page.locator(testid("promote-button")).click();
			const alert = page.locator(`${testid("release-status")} ${testid("error")}`).filter({ hasText: "wrong token" });
			await alert.waitFor();
			const msg = await alert.innerText();
			assert(/Jeton d’administration manquant ou incorrect/.test(msg), `alert says '${oneLine(msg)}'`);
			assert((await getJson("/api/releases")).production === 2, "production changed");
			await page.evaluate((tok) => sessionStorage.setItem("ragops.adminToken", tok), process.env.RAGOPS_SERVE_TOKEN);
		});
	}

	// Dark mode, for the lead to look at.
	await page.emulateMedia({ colorScheme: "dark" });
	await page.goto(base + "/#/quality", { waitUntil: "domcontentloaded" });
	await page.locator(`${testid("charts")} figure`).first().waitFor();
	await page.waitForLoadState("networkidle");
	await shot(page, "quality-laptop-dark.png", false);
	await page.goto(base + "/#/releases/2", { waitUntil: "domcontentloaded" });
	await page.locator(testid("release-check")).first().waitFor();
	await page.waitForLoadState("networkidle");
	await shot(page, "release-laptop-dark.png", false);
	await mobile.emulateMedia({ colorScheme: "dark" });
	await mobile.goto(base + "/#/ask", { waitUntil: "domcontentloaded" });
	await askQuestion(mobile);
	await shot(mobile, "ask-phone-dark.png", false);
	await mobile.goto(base + "/#/releases", { waitUntil: "domcontentloaded" });
	await mobile.locator(testid("release-row")).first().waitFor();
	await mobile.waitForLoadState("networkidle");
	await shot(mobile, "releases-phone-dark.png", true);
} finally {
	await browser.close();
}
