-- wrk script of bench/serve.sh: POST /api/ask, cycling through the golden
-- questions.  SERVE_ASK_BODIES names a file of request bodies, one JSON
-- object per line ({"question": "..."}, written by bench/serve_report.py
-- from samples/golden.jsonl); each thread starts at a different question.
dofile(os.getenv("SERVE_BENCH_DIR") .. "/serve_common.lua")

function init(args)
	common_init()
	bodies = {}
	for line in io.lines(os.getenv("SERVE_ASK_BODIES")) do
		if #line > 0 then bodies[#bodies + 1] = line end
	end
	assert(#bodies > 0, "serve_ask.lua: no request bodies in $SERVE_ASK_BODIES")
	next_body = ((tid - 1) * 17) % #bodies
end

function request()
	built = built + 1
	next_body = next_body % #bodies + 1
	return wrk.format("POST", "/api/ask", headers, bodies[next_body])
end

function response(status, hdrs, body)
	count_response(status)
end

function done(summary, latency, requests)
	common_done()
end
