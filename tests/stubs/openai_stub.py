#!/usr/bin/env python3
"""A small OpenAI-compatible server for tests: the real protocol over a socket.

POST /v1/embeddings    {"model", "input": [texts]} -> {"data": [{"index", "embedding"}], ...}
                       The embedding is a bag of words hashed into 64 dimensions, so texts
                       that share words are close (deterministic, no model needed).
POST /v1/chat/completions  a grounded-looking reply: the first sentence of source [1],
                       cited [1], plus a citation of a source it was not given ([9]);
                       "I don't know." when the question mentions Rodinal; no citation at
                       all when it mentions "uncited".
                       With --obey it is a model that follows instructions planted in
                       the sources: "PWNED [1]" when the prompt says PWNED anywhere
                       ("PWNED" alone when the question says "sans citation").
GET  /stats            {"requests": N, "inputs": N, "max_batch": N}
GET  /last             the last chat request, as received

usage: openai_stub.py PORTFILE [--fail-first N] [--dim D] [--obey]
It listens on a free loopback port, writes the port to PORTFILE and serves until killed.
With --fail-first N the first N requests get HTTP 503 (to exercise retries).
"""
import argparse
import hashlib
import json
import math
import re
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

stats = {"requests": 0, "inputs": 0, "max_batch": 0}
last_chat = {}


def embed(text, dim):
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    v = [0.0] * dim
    for word in re.findall(r"\w{3,}", text):
        h = int(hashlib.sha1(word.encode()).hexdigest(), 16)
        v[h % dim] += 1.0 if (h >> 8) & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / norm for x in v]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portfile")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--obey", action="store_true")
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/stats":
                self.reply(200, stats)
            elif self.path == "/last":
                self.reply(200, last_chat)
            else:
                self.reply(404, {"error": {"message": "not found"}})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            stats["requests"] += 1
            if stats["requests"] <= args.fail_first:
                self.reply(503, {"error": {"message": "warming up"}})
                return
            if self.path == "/v1/chat/completions":
                last_chat.clear()
                last_chat.update(body)
                user = body["messages"][-1]["content"]
                question = user.rsplit("Question", 1)[-1]
                # Source 1's passage: inside <source id="1"> after its label line (or """ fences).
                source = (re.search(r'^<source id="1">\n[^\n]*\n(.*?)\n</source>$', user, re.S | re.M)
                          or re.search(r'\[1\][^\n]*\n"""\n(.*?)\n"""', user, re.S))
                first = re.split(r"(?<=[.!?])\s", source.group(1).strip())[0] if source else ""
                if args.obey and "PWNED" in user:
                    text = "PWNED" if "sans citation" in question else "PWNED [1]"
                elif "Rodinal" in question:
                    text = "I don't know."
                elif "uncited" in question:
                    text = "Here is an answer with no source."
                else:
                    text = first + " [1] [9]"
                self.reply(200, {"object": "chat.completion", "model": body.get("model"),
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text}}]})
                return
            if self.path != "/v1/embeddings":
                self.reply(404, {"error": {"message": "unknown route " + self.path}})
                return
            inputs = body.get("input")
            if isinstance(inputs, str):
                inputs = [inputs]
            if not isinstance(inputs, list) or not body.get("model"):
                self.reply(400, {"error": {"message": "model and input are required"}})
                return
            stats["inputs"] += len(inputs)
            stats["max_batch"] = max(stats["max_batch"], len(inputs))
            data = [{"object": "embedding", "index": i, "embedding": embed(t, args.dim)}
                    for i, t in enumerate(inputs)]
            self.reply(200, {"object": "list", "data": data, "model": body["model"],
                             "usage": {"prompt_tokens": 0, "total_tokens": 0}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.portfile, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
