-- wrk script of bench/serve.sh: POST /api/feedback, as the dashboard sends
-- it: {"query_id", "rating", "feedback_text"}.  Ratings cycle 1..5; query ids
-- cycle over SERVE_FB_QID_MIN..SERVE_FB_QID_MAX (questions logged by the ask
-- run); every request has its own feedback_text, "$SERVE_FB_PREFIX-T-N"
-- (thread T, its Nth request), so the rows can be matched to the replies.
--
-- Counts the responses by status per thread and prints the totals in done(),
-- with "201s returned: N"; the feedback_text of every 201 reply (read back
-- from the reply body) is written, one per line, to $SERVE_FB_ACKED.
dofile(os.getenv("SERVE_BENCH_DIR") .. "/serve_common.lua")

function init(args)
	common_init()
	prefix = os.getenv("SERVE_FB_PREFIX")
	qmin = tonumber(os.getenv("SERVE_FB_QID_MIN"))
	qmax = tonumber(os.getenv("SERVE_FB_QID_MAX"))
	assert(prefix and prefix:match("^[%w]+$"), "serve_feedback.lua: SERVE_FB_PREFIX must be letters and digits")
	assert(qmin and qmax and qmin <= qmax, "serve_feedback.lua: bad SERVE_FB_QID_MIN/MAX")
	acked = {}
	unparsed = 0
end

function request()
	built = built + 1
	local qid = qmin + (built * 7 + tid) % (qmax - qmin + 1)
	local body = string.format('{"query_id": %d, "rating": %d, "feedback_text": "%s-%d-%d"}',
		qid, built % 5 + 1, prefix, tid, built)
	return wrk.format("POST", "/api/feedback", headers, body)
end

function response(status, hdrs, body)
	count_response(status)
	if status == 201 then
		local text = body:match('"feedback_text":%s*"([^"]*)"')
		if text then acked[#acked + 1] = text else unparsed = unparsed + 1 end
	end
end

function done(summary, latency, requests)
	local out = assert(io.open(os.getenv("SERVE_FB_ACKED"), "w"))
	local unparsed_total = 0
	local by_status = common_done(function(t)
		for _, text in ipairs(t:get("acked") or {}) do out:write(text, "\n") end
		unparsed_total = unparsed_total + (t:get("unparsed") or 0)
	end)
	out:close()
	io.write(string.format("serve: unparsed_201 %d\n", unparsed_total))
	io.write(string.format("201s returned: %d\n", by_status[201] or 0))
end
