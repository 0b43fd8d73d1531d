# Sourced by the scripts that need a local AWS endpoint. Starts moto (from .tools/) on a free
# loopback port in the background; exports MOTO_PID and AWS_ENDPOINT_URL. Call stop_moto to end it.

free_port() {
  "${PYTHON:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_moto() {
  local log="$1" root tools port
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  tools="$root/.tools"
  port="$(free_port)"
  # moto must not hold our stdout/stderr: a caller that pipes this script's output would never see EOF.
  # moto's own server, through the acceptance harness's launcher so that the stand-ins named in
  # MOTO_STANDINS (test doubles for the ECS agent and scheduler, e.g. "agent,scheduler") can run.
  "$tools/venv/bin/python" "$root/acceptance-tests/standins/launch.py" -H 127.0.0.1 -p "$port" \
    --standins="${MOTO_STANDINS:-}" </dev/null >"$log" 2>&1 &
  MOTO_PID=$!
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  local i
  for i in $(seq 1 300); do
    if "$tools/venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/data.json', timeout=1)" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
      echo "moto exited while starting; its log:" >&2; tail -n 20 "$log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "moto did not answer within 30 s; its log:" >&2; tail -n 20 "$log" >&2
  return 1
}

stop_moto() {
  if [ -n "${MOTO_PID:-}" ]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
    MOTO_PID=""
  fi
}
