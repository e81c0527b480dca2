/*
 * ragops dashboard: every visible string, in French and English, and the
 * number and date formats of the language in force.  French when the
 * browser's language is French, else English; the FR/EN switch is
 * remembered in localStorage.
 */
"use strict";

(function (RG) {
	const LANG_KEY = "ragops.lang";

	const fr = {
		"app.name": "ragops",
		"app.tagline": "Questions sur vos documents",
		"nav.label": "Sections",
		"nav.ask": "Demander",
		"nav.runs": "Traitements",
		"nav.quality": "Qualité",
		"nav.feedback": "Avis",
		"lang.label": "Langue",
		"footer.text": "ragops — index et réponses calculés sur cette machine, sans service extérieur.",
		"noscript": "Ce tableau de bord a besoin de JavaScript.",

		"title.ask": "Poser une question",
		"title.runs": "Traitements",
		"title.run": "Traitement n° {id}",
		"title.quality": "Qualité",
		"title.feedback": "Avis",

		"common.loading": "Chargement…",
		"common.refresh": "Actualiser",

		"err.unexpected": "Erreur inattendue dans la page.",
		"err.network": "Le serveur ne répond pas. Vérifiez que «\u00a0ragops serve\u00a0» tourne toujours.",
		"err.rate": "Trop de requêtes\u00a0: réessayez dans {s}\u00a0s.",
		"err.rateDone": "Vous pouvez réessayer.",
		"err.bad": "La requête a été refusée.",
		"err.badField": "La requête a été refusée\u00a0: le champ «\u00a0{field}\u00a0» n’est pas valable.",
		"err.token": "Jeton d’administration manquant ou incorrect.",
		"err.auth": "Authentification requise.",
		"err.exportOff": "L’export est désactivé\u00a0: aucun jeton d’administration n’est configuré sur le serveur (variable RAGOPS_SERVE_TOKEN).",
		"err.forbidden": "Accès refusé.",
		"err.noRun": "Ce traitement n’existe pas.",
		"err.notFound": "Introuvable.",
		"err.emptyIndex": "L’index est vide\u00a0: lancez d’abord un traitement («\u00a0ragops run\u00a0»).",
		"err.server": "Erreur du serveur (HTTP {status}).",
		"err.detail": "Détail\u00a0:",

		"state.completed": "terminé",
		"state.failed": "échoué",
		"state.crashed": "interrompu",
		"state.running": "en cours",
		"state.pending": "en attente",
		"state.retrying": "nouvel essai",
		"state.skipped": "ignoré",
		"state.cached": "en cache",
		"state.unknown": "inconnu",
		"health.ok": "bon",
		"health.degraded": "dégradé",
		"health.down": "hors service",
		"health.skipped": "sans objet",
		"health.unknown": "inconnu",
		"trigger.cli": "ligne de commande",
		"trigger.serve": "serveur",
		"trigger.api": "API",
		"trigger.schedule": "planifié",
		"trigger.watch": "surveillance",

		"stage.collect": "collecte",
		"stage.extract": "extraction",
		"stage.ocr": "OCR",
		"stage.clean": "nettoyage",
		"stage.chunk": "découpage",
		"stage.index": "indexation",
		"stage.embed": "vecteurs",
		"method.OCR": "OCR",
		"method.text layer": "texte natif",
		"method.text + OCR": "texte + OCR",
		"method.failed": "échec",

		"ask.title": "Poser une question",
		"ask.lead": "La réponse est tirée de vos documents indexés, avec les passages qui la justifient.",
		"ask.label": "Votre question",
		"ask.placeholder": "Par exemple\u00a0: Comment éviter le flou de bougé\u00a0?",
		"ask.hint": "Entrée pour envoyer, Maj + Entrée pour aller à la ligne.",
		"ask.submit": "Demander",
		"ask.busy": "Recherche…",
		"ask.options": "Options de recherche",
		"ask.retriever": "Méthode",
		"ask.retriever.default": "par défaut (réglage du serveur)",
		"ask.retriever.hybrid": "hybride (mots + sens)",
		"ask.retriever.bm25": "mots-clés (BM25)",
		"ask.retriever.dense": "sens (vecteurs)",
		"ask.k": "Passages à chercher (1–50)",
		"ask.openSource": "Afficher cette source",
		"ask.answer": "Réponse",
		"ask.abstained": "pas de réponse sûre",
		"ask.abstainedHint": "Aucun document ne couvre assez la question. Reformulez-la ou consultez les passages les plus proches.",
		"ask.meta": "Recherche {retriever} · {ms} ms · {n} sources",
		"ask.queryId": "question n° {id}",
		"ask.sources": "Sources",
		"ask.nearest": "Passages les plus proches",
		"ask.noSources": "Aucun passage trouvé.",

		"src.page": "p. {a}",
		"src.pages": "p. {a}–{b}",
		"src.heading": "Section",
		"src.document": "Document",
		"src.pagesLabel": "Pages",
		"src.match": "Correspondance",
		"src.matchValue": "mots de la question\u00a0: {e} · sens\u00a0: {s}",
		"src.low": "OCR incertain",
		"src.lowHint": "Ce passage vient d’une page scannée mal reconnue\u00a0: vérifiez-le sur l’original.",

		"fb.title": "Cette réponse vous a-t-elle aidé\u00a0?",
		"fb.rating": "Note",
		"fb.rate1": "inutile",
		"fb.rate2": "médiocre",
		"fb.rate3": "correcte",
		"fb.rate4": "bonne",
		"fb.rate5": "parfaite",
		"fb.needRating": "Choisissez une note de 1 à 5.",
		"fb.comment": "Commentaire",
		"fb.commentPh": "Ce qui manque, ce qui est faux…",
		"fb.corrected": "Réponse corrigée",
		"fb.correctedPh": "Facultatif\u00a0: la réponse que vous attendiez.",
		"fb.send": "Envoyer l’avis",
		"fb.sending": "Envoi…",
		"fb.sent": "Avis envoyé",
		"fb.thanks": "Merci\u00a0! Votre avis (n° {id}) est enregistré.",
		"fb.stars": "{n} sur 5",
		"fb.pageTitle": "Avis des utilisateurs",
		"fb.lead": "Notes et corrections laissées sur les réponses, les plus récentes d’abord.",
		"fb.since": "Période",
		"fb.always": "depuis toujours",
		"fb.minRating": "Note min.",
		"fb.maxRating": "Note max.",
		"fb.any": "toutes",
		"fb.limit": "Au plus",
		"fb.none": "Aucun avis pour l’instant.",
		"fb.noneHint": "Les avis donnés sur la page «\u00a0Demander\u00a0» apparaissent ici.",
		"fb.count": "{n} avis",
		"fb.givenAnswer": "Réponse donnée",
		"fb.sources": "Sources",
		"fb.sourcesLabel": "Sources\u00a0:",
		"fb.commentLabel": "Commentaire\u00a0:",

		"exp.title": "Exporter les avis",
		"exp.hint": "Pour l’évaluation ou l’entraînement. Réservé à l’administrateur\u00a0: le jeton reste dans cet onglet.",
		"exp.token": "Jeton d’administration",
		"exp.tokenPh": "RAGOPS_SERVE_TOKEN",
		"exp.format": "Format",
		"exp.button": "Télécharger",
		"exp.busy": "Export…",
		"exp.needToken": "Saisissez le jeton d’administration pour exporter.",
		"exp.done": "Fichier «\u00a0{name}\u00a0» téléchargé.",

		"runs.title": "Traitements",
		"runs.start": "Lancer un traitement",
		"runs.started": "Traitement lancé : il apparaît ci-dessous dans quelques secondes.",
		"runs.needToken": "Lancer un traitement demande le jeton d’administration.",
		"runs.tokenLink": "Le saisir (page Avis)",
		"runs.lead": "Chaque passage sur les dossiers d’entrée\u00a0: documents lus, pages, erreurs.",
		"runs.none": "Aucun traitement pour l’instant.",
		"runs.noneHint": "Lancez «\u00a0ragops run\u00a0» pour indexer vos documents.",
		"runs.id": "N°",
		"runs.state": "État",
		"runs.trigger": "Lancé par",
		"runs.started": "Début",
		"runs.ended": "Fin",
		"runs.duration": "Durée",
		"runs.documents": "Documents",
		"runs.pages": "Pages",
		"runs.ocrPages": "Pages à reconnaître (OCR)",
		"runs.ocrN": "{n} OCR",
		"runs.ocrConf": "Confiance OCR moyenne",
		"runs.ocrWeak": "{w} faibles, {f} en échec",
		"runs.chunks": "Passages",
		"runs.characters": "Caractères",
		"runs.new": "{n} nouv.",
		"runs.changed": "{n} modif.",
		"runs.renamed": "{n} renommé(s)",
		"runs.deleted": "{n} supprimé(s)",
		"runs.failedN": "{n} en échec",
		"runs.back": "Tous les traitements",
		"runs.error": "Erreur du traitement",
		"runs.params": "Réglages utilisés",
		"run.title": "Traitement n° {id}",

		"tasks.title": "Tâches",
		"tasks.filterState": "Filtrer par état",
		"tasks.all": "toutes",
		"tasks.search": "Document",
		"tasks.searchPh": "filtrer par nom",
		"tasks.document": "Document",
		"tasks.stage": "Étape",
		"tasks.state": "État",
		"tasks.attempts": "Essais",
		"tasks.duration": "Durée",
		"tasks.error": "Erreur",
		"tasks.cacheKey": "clé de cache {k}",
		"tasks.none": "Aucune tâche ne correspond.",
		"tasks.showing": "{a} sur {b}",
		"tasks.more": "Afficher plus",
		"rdocs.title": "Documents",
		"rdocs.method": "Lecture",
		"rdocs.pages": "Pages",
		"rdocs.ocr": "Pages OCR",
		"rdocs.failedPages": "Pages en échec",
		"rdocs.confidence": "Confiance OCR",
		"rdocs.weak": "Pages faibles",

		"q.title": "Qualité",
		"q.window": "Période",
		"q.period": "Sur {w}",
		"q.queries": "Questions",
		"q.abstained": "{p} sans réponse sûre",
		"q.latency": "Temps de réponse (p95)",
		"q.latencyP50": "médiane {v}",
		"q.rating": "Note moyenne",
		"q.ratingCount": (p) => p.n + " avis",
		"q.ocrSuccess": "Pages OCR réussies",
		"q.ocrConf": "confiance {v} · {n} pages",
		"q.noOcr": "aucune page scannée",
		"q.runs": "Traitements",
		"q.runsSub": (p) => p.c + (p.c > 1 ? " terminés" : " terminé") + " · " + p.f + " en échec",
		"q.lastRun": "Dernier traitement",
		"q.noRun": "aucun",
		"q.runTip": "Traitement n° {id}, {when}",
		"q.recent": "Derniers avis",
		"q.allFeedback": "Tous les avis →",
		"q.generated": "Calculé le {when}.",
		"win.24h": "24 h",
		"win.7d": "7 jours",
		"win.30d": "30 jours",
		"win.90d": "90 jours",

		"health.title": "État du service",
		"health.check": "Contrôle",
		"health.state": "État",
		"health.value": "Valeur",
		"health.threshold": "Seuil",
		"health.message": "Détail",
		"health.says.ok": "Tout fonctionne normalement.",
		"health.says.degraded": "Le service répond, mais un contrôle est hors de son seuil.",
		"health.says.down": "Le service ne peut pas répondre aux questions.",
		"check.store": "Base de données",
		"check.index": "Index",
		"check.last_run": "Dernier traitement",
		"check.ocr_confidence": "Confiance OCR",
		"check.ocr_success": "Réussite OCR",
		"check.latency_p95": "Temps de réponse p95",
		"check.rating": "Notes des utilisateurs",
		"check.disk": "Espace disque",
		"check.embedder": "Modèle de vecteurs",
		"check.answerer": "Rédacteur de réponses",

		"chart.empty": "Pas encore de données",
		"c.ocrConf": "Confiance OCR",
		"c.ocrConfHint": "Moyenne par traitement, sur les pages reconnues.",
		"c.ocrSuccess": "Réussite OCR",
		"c.ocrSuccessHint": "Part des pages OCR lues sans échec, par traitement.",
		"c.latency": "Temps de réponse",
		"c.latencyHint": "Par jour\u00a0: médiane et 95e centile.",
		"c.p50": "médiane",
		"c.p95": "p95",
		"c.answerLen": "Longueur des réponses",
		"c.answerLenHint": "Caractères en moyenne, par jour.",
		"c.chars": "{n} caractères",
		"c.queries": "Questions par jour",
		"c.questionsN": (p) => p.n + (p.n === "1" || p.n === "0" ? " question" : " questions"),
		"c.rating": "Note moyenne",
		"c.ratingHint": "Par jour, de 1 à 5.",
		"c.ratingDist": "Répartition des notes",
		"c.ratingTip": "{k} sur 5\u00a0: {n} avis",
	};

	const en = {
		"app.name": "ragops",
		"app.tagline": "Questions about your documents",
		"nav.label": "Sections",
		"nav.ask": "Ask",
		"nav.runs": "Runs",
		"nav.quality": "Quality",
		"nav.feedback": "Feedback",
		"lang.label": "Language",
		"footer.text": "ragops — index and answers computed on this machine, no outside service.",
		"noscript": "This dashboard needs JavaScript.",

		"title.ask": "Ask a question",
		"title.runs": "Runs",
		"title.run": "Run #{id}",
		"title.quality": "Quality",
		"title.feedback": "Feedback",

		"common.loading": "Loading…",
		"common.refresh": "Refresh",

		"err.unexpected": "Unexpected error in the page.",
		"err.network": "The server does not answer. Check that “ragops serve” is still running.",
		"err.rate": "Too many requests: retry in {s}\u00a0s.",
		"err.rateDone": "You can retry now.",
		"err.bad": "The request was refused.",
		"err.badField": "The request was refused: the field “{field}” is not valid.",
		"err.token": "Admin token missing or wrong.",
		"err.auth": "Authentication required.",
		"err.exportOff": "Export is off: the server has no admin token configured (RAGOPS_SERVE_TOKEN variable).",
		"err.forbidden": "Access denied.",
		"err.noRun": "There is no such run.",
		"err.notFound": "Not found.",
		"err.emptyIndex": "The index is empty: run the pipeline first (“ragops run”).",
		"err.server": "Server error (HTTP {status}).",
		"err.detail": "Detail:",

		"state.completed": "completed",
		"state.failed": "failed",
		"state.crashed": "crashed",
		"state.running": "running",
		"state.pending": "pending",
		"state.retrying": "retrying",
		"state.skipped": "skipped",
		"state.cached": "cached",
		"state.unknown": "unknown",
		"health.ok": "ok",
		"health.degraded": "degraded",
		"health.down": "down",
		"health.skipped": "skipped",
		"health.unknown": "unknown",
		"trigger.cli": "command line",
		"trigger.serve": "server",
		"trigger.api": "API",
		"trigger.schedule": "scheduled",
		"trigger.watch": "watcher",

		"stage.collect": "collect",
		"stage.extract": "extract",
		"stage.ocr": "OCR",
		"stage.clean": "clean",
		"stage.chunk": "chunk",
		"stage.index": "index",
		"stage.embed": "embed",
		"method.OCR": "OCR",
		"method.text layer": "text layer",
		"method.text + OCR": "text + OCR",
		"method.failed": "failed",

		"ask.title": "Ask a question",
		"ask.lead": "The answer comes from your indexed documents, with the passages that support it.",
		"ask.label": "Your question",
		"ask.placeholder": "For example: How do I avoid camera shake?",
		"ask.hint": "Enter to send, Shift + Enter for a new line.",
		"ask.submit": "Ask",
		"ask.busy": "Searching…",
		"ask.options": "Search options",
		"ask.retriever": "Method",
		"ask.retriever.default": "default (server setting)",
		"ask.retriever.hybrid": "hybrid (words + meaning)",
		"ask.retriever.bm25": "keywords (BM25)",
		"ask.retriever.dense": "meaning (vectors)",
		"ask.k": "Passages to retrieve (1–50)",
		"ask.openSource": "Show this source",
		"ask.answer": "Answer",
		"ask.abstained": "no confident answer",
		"ask.abstainedHint": "No document covers the question well enough. Rephrase it, or look at the nearest passages.",
		"ask.meta": "{retriever} search · {ms} ms · {n} sources",
		"ask.queryId": "question #{id}",
		"ask.sources": "Sources",
		"ask.nearest": "Nearest passages",
		"ask.noSources": "No passage found.",

		"src.page": "p. {a}",
		"src.pages": "pp. {a}–{b}",
		"src.heading": "Section",
		"src.document": "Document",
		"src.pagesLabel": "Pages",
		"src.match": "Match",
		"src.matchValue": "question words: {e} · meaning: {s}",
		"src.low": "uncertain OCR",
		"src.lowHint": "This passage comes from a poorly recognised scanned page: check it against the original.",

		"fb.title": "Did this answer help?",
		"fb.rating": "Rating",
		"fb.rate1": "useless",
		"fb.rate2": "poor",
		"fb.rate3": "fair",
		"fb.rate4": "good",
		"fb.rate5": "perfect",
		"fb.needRating": "Pick a rating from 1 to 5.",
		"fb.comment": "Comment",
		"fb.commentPh": "What is missing, what is wrong…",
		"fb.corrected": "Corrected answer",
		"fb.correctedPh": "Optional: the answer you expected.",
		"fb.send": "Send feedback",
		"fb.sending": "Sending…",
		"fb.sent": "Feedback sent",
		"fb.thanks": "Thank you! Your feedback (#{id}) is saved.",
		"fb.stars": "{n} out of 5",
		"fb.pageTitle": "User feedback",
		"fb.lead": "Ratings and corrections left on answers, newest first.",
		"fb.since": "Period",
		"fb.always": "all time",
		"fb.minRating": "Min rating",
		"fb.maxRating": "Max rating",
		"fb.any": "any",
		"fb.limit": "At most",
		"fb.none": "No feedback yet.",
		"fb.noneHint": "Feedback given on the Ask page shows up here.",
		"fb.count": (p) => p.n === 1 ? "1 item" : p.n + " items",
		"fb.givenAnswer": "Answer given",
		"fb.sources": "Sources",
		"fb.sourcesLabel": "Sources:",
		"fb.commentLabel": "Comment:",

		"exp.title": "Export feedback",
		"exp.hint": "For evaluation or training. Admin only: the token stays in this tab.",
		"exp.token": "Admin token",
		"exp.tokenPh": "RAGOPS_SERVE_TOKEN",
		"exp.format": "Format",
		"exp.button": "Download",
		"exp.busy": "Exporting…",
		"exp.needToken": "Enter the admin token to export.",
		"exp.done": "Downloaded “{name}”.",

		"runs.title": "Runs",
		"runs.start": "Start a run",
		"runs.started": "Run started: it appears below in a few seconds.",
		"runs.needToken": "Starting a run needs the admin token.",
		"runs.tokenLink": "Enter it (Feedback page)",
		"runs.lead": "Every pass over the inbox folders: documents read, pages, errors.",
		"runs.none": "No run yet.",
		"runs.noneHint": "Run “ragops run” to index your documents.",
		"runs.id": "#",
		"runs.state": "State",
		"runs.trigger": "Started by",
		"runs.started": "Started",
		"runs.ended": "Ended",
		"runs.duration": "Duration",
		"runs.documents": "Documents",
		"runs.pages": "Pages",
		"runs.ocrPages": "Pages needing OCR",
		"runs.ocrN": "{n} OCR",
		"runs.ocrConf": "Mean OCR confidence",
		"runs.ocrWeak": "{w} weak, {f} failed",
		"runs.chunks": "Chunks",
		"runs.characters": "Characters",
		"runs.new": "{n} new",
		"runs.changed": "{n} changed",
		"runs.renamed": "{n} renamed",
		"runs.deleted": "{n} deleted",
		"runs.failedN": "{n} failed",
		"runs.back": "All runs",
		"runs.error": "Run error",
		"runs.params": "Settings used",
		"run.title": "Run #{id}",

		"tasks.title": "Tasks",
		"tasks.filterState": "Filter by state",
		"tasks.all": "all",
		"tasks.search": "Document",
		"tasks.searchPh": "filter by name",
		"tasks.document": "Document",
		"tasks.stage": "Stage",
		"tasks.state": "State",
		"tasks.attempts": "Attempts",
		"tasks.duration": "Duration",
		"tasks.error": "Error",
		"tasks.cacheKey": "cache key {k}",
		"tasks.none": "No task matches.",
		"tasks.showing": "{a} of {b}",
		"tasks.more": "Show more",
		"rdocs.title": "Documents",
		"rdocs.method": "Read as",
		"rdocs.pages": "Pages",
		"rdocs.ocr": "OCR pages",
		"rdocs.failedPages": "Failed pages",
		"rdocs.confidence": "OCR confidence",
		"rdocs.weak": "Weak pages",

		"q.title": "Quality",
		"q.window": "Period",
		"q.period": "Over {w}",
		"q.queries": "Questions",
		"q.abstained": "{p} without a confident answer",
		"q.latency": "Response time (p95)",
		"q.latencyP50": "median {v}",
		"q.rating": "Average rating",
		"q.ratingCount": (p) => p.n === "1" ? "1 rating" : p.n + " ratings",
		"q.ocrSuccess": "OCR pages read",
		"q.ocrConf": "confidence {v} · {n} pages",
		"q.noOcr": "no scanned page",
		"q.runs": "Runs",
		"q.runsSub": "{c} completed · {f} failed",
		"q.lastRun": "Last run",
		"q.noRun": "none",
		"q.runTip": "Run #{id}, {when}",
		"q.recent": "Latest feedback",
		"q.allFeedback": "All feedback →",
		"q.generated": "Computed {when}.",
		"win.24h": "24 h",
		"win.7d": "7 days",
		"win.30d": "30 days",
		"win.90d": "90 days",

		"health.title": "Service health",
		"health.check": "Check",
		"health.state": "State",
		"health.value": "Value",
		"health.threshold": "Threshold",
		"health.message": "Detail",
		"health.says.ok": "Everything works normally.",
		"health.says.degraded": "The service answers, but a check is outside its threshold.",
		"health.says.down": "The service cannot answer questions.",
		"check.store": "Database",
		"check.index": "Index",
		"check.last_run": "Last run",
		"check.ocr_confidence": "OCR confidence",
		"check.ocr_success": "OCR success",
		"check.latency_p95": "Response time p95",
		"check.rating": "User ratings",
		"check.disk": "Disk space",
		"check.embedder": "Embedding model",
		"check.answerer": "Answer writer",

		"chart.empty": "No data yet",
		"c.ocrConf": "OCR confidence",
		"c.ocrConfHint": "Mean per run, over the recognised pages.",
		"c.ocrSuccess": "OCR success",
		"c.ocrSuccessHint": "Share of OCR pages read without failure, per run.",
		"c.latency": "Response time",
		"c.latencyHint": "Per day: median and 95th percentile.",
		"c.p50": "median",
		"c.p95": "p95",
		"c.answerLen": "Answer length",
		"c.answerLenHint": "Mean characters, per day.",
		"c.chars": "{n} characters",
		"c.queries": "Questions per day",
		"c.questionsN": (p) => p.n + (p.n === "1" ? " question" : " questions"),
		"c.rating": "Average rating",
		"c.ratingHint": "Per day, from 1 to 5.",
		"c.ratingDist": "Ratings",
		"c.ratingTip": "{k} out of 5: {n} ratings",
	};

	const dicts = {fr, en};

	function initial() {
		const saved = RG.storageGet("localStorage", LANG_KEY);
		if (saved === "fr" || saved === "en") return saved;
		const nav = (navigator.languages && navigator.languages[0]) || navigator.language || "";
		return /^fr\b/i.test(nav) ? "fr" : "en";
	}

	let lang = initial();

	/*
	 * t(key, {name: value}, fallback): the string of the language in force,
	 * "{name}" replaced; the fallback (or the key) when the key is unknown,
	 * so an unexpected state from the server still shows as itself.
	 */
	function t(key, params, fallback) {
		let v = dicts[lang][key];
		if (v === undefined) v = dicts.en[key];
		if (v === undefined) return fallback !== undefined ? fallback : key;
		if (typeof v === "function") return v(params || {});
		if (!params) return v;
		return v.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined || params[k] === null ? m : String(params[k])));
	}

	function setLang(l) {
		if (!dicts[l]) return;
		lang = l;
		RG.storageSet("localStorage", LANG_KEY, l);
	}

	const locale = () => (lang === "fr" ? "fr-FR" : "en-GB");
	const DASH = "—";
	const isNum = (v) => typeof v === "number" && isFinite(v);

	function num(v, digits) {
		if (!isNum(v)) return DASH;
		if (digits === undefined) digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
		return new Intl.NumberFormat(locale(), {maximumFractionDigits: digits, minimumFractionDigits: 0}).format(v);
	}

	const fmt = {
		num,
		/* a 0..1 ratio */
		pct(v) {
			if (!isNum(v)) return DASH;
			return new Intl.NumberFormat(locale(), {style: "percent", maximumFractionDigits: 0}).format(v);
		},
		/* an OCR confidence, 0..100 */
		conf(v) {
			return isNum(v) ? num(v, 1) + "\u00a0%" : DASH;
		},
		ms(v) {
			if (!isNum(v)) return DASH;
			if (v >= 1000) return num(v / 1000, v >= 10000 ? 0 : 1) + "\u00a0s";
			return num(v, v < 10 ? 1 : 0) + "\u00a0ms";
		},
		duration(s) {
			if (!isNum(s) || s < 0) return DASH;
			if (s < 1) return num(s * 1000, 0) + "\u00a0ms";
			if (s < 60) return num(s, s < 10 ? 1 : 0) + "\u00a0s";
			const m = Math.floor(s / 60), r = Math.round(s % 60);
			if (m < 60) return m + "\u00a0min " + (r ? String(r).padStart(2, "0") + "\u00a0s" : "");
			return Math.floor(m / 60) + "\u00a0h " + String(m % 60).padStart(2, "0") + " min";
		},
		dateTime(v) {
			const d = v instanceof Date ? v : new Date(v);
			if (v === null || v === undefined || isNaN(d)) return DASH;
			return new Intl.DateTimeFormat(locale(), {dateStyle: "medium", timeStyle: "short"}).format(d);
		},
		dateShort(v) {
			const d = new Date(v);
			if (isNaN(d)) return DASH;
			return new Intl.DateTimeFormat(locale(), {day: "numeric", month: "short"}).format(d);
		},
		/* "2026-11-20" (a UTC day) */
		day(s) {
			const d = new Date(s + "T00:00:00Z");
			if (isNaN(d)) return String(s);
			return new Intl.DateTimeFormat(locale(), {weekday: "short", day: "numeric", month: "long", timeZone: "UTC"}).format(d);
		},
		dayShort(s) {
			const d = new Date(s + "T00:00:00Z");
			if (isNaN(d)) return String(s);
			return new Intl.DateTimeFormat(locale(), {day: "numeric", month: "short", timeZone: "UTC"}).format(d);
		},
		dayTick(ms) {
			return new Intl.DateTimeFormat(locale(), {day: "numeric", month: "short", timeZone: "UTC"}).format(new Date(ms));
		},
		dayFromMs(ms) {
			return new Intl.DateTimeFormat(locale(), {weekday: "short", day: "numeric", month: "long", timeZone: "UTC"}).format(new Date(ms));
		},
	};

	Object.assign(RG, {t, setLang, lang: () => lang, fmt, dicts});
})(window.RG);
