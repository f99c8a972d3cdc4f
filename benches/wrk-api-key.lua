-- Sends every wrk request with the API key read from the file named by
-- HEADROOM_BENCH_KEY_FILE, so the key never appears on a command line.
local path = assert(os.getenv("HEADROOM_BENCH_KEY_FILE"), "HEADROOM_BENCH_KEY_FILE is not set")
local file = assert(io.open(path, "r"))
local key = file:read("*l")
file:close()
wrk.headers["Authorization"] = "Tecton-key " .. key
