-- wrk script for bench/publish-cost.sh: one single-event JSON POST /publish (a 100-byte body) per request.
wrk.method = "POST"
wrk.path = "/publish"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"topic":"bench/cost","event":"tick","data":{"n":1,"text":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}'
