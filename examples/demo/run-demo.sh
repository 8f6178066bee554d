#!/usr/bin/env bash
# Runs a simulated Kubernetes cluster (examples/k8s-sim), the sandbox's services following its
# Deployments, and the agent acting on the cluster through its Kubernetes actuator, all on one
# compressed clock; shows the agent's decisions live, then writes demo-report.md and .html.
#   usage: examples/demo/run-demo.sh BUILD_DIR
#          (env: SPEED=480 HOURS=26 START=2026-01-05T00:00:00Z DEPLOY_AT=15:00, the bad deploy)
set -euo pipefail
build="${1:-build/release}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
speed="${SPEED:-480}"
hours="${HOURS:-26}"
start="${START:-2026-01-05T00:00:00Z}"
out="$root/demo-out"
agent="$build/agent/opspilot"
sandbox="$build/examples/sandbox/opspilot-sandbox"
sim="$build/examples/k8s-sim/opspilot-k8s-sim"
for b in "$agent" "$sandbox" "$sim"; do
  [ -x "$b" ] || { echo "missing $b — run make build first" >&2; exit 1; }
done

rm -rf "$out" && mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

token() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }
agent_token="$(token)"
admin_token="$(token)"
printf '%s\n' "$agent_token" > "$out/agent-token" && chmod 600 "$out/agent-token"
sed -e "s|@ADMIN_TOKEN@|$admin_token|" -e "s|@AGENT_TOKEN@|$agent_token|" "$root/examples/demo/cluster.yaml.in" > "$out/cluster.yaml"
"$sim" --state "$out/cluster.yaml" --listen 127.0.0.1:0 --port-file "$out/cluster.port" --time-scale "$speed" \
  > "$out/cluster.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$out/cluster.port" ] && break; sleep 0.1; done
cluster_port=$(cat "$out/cluster.port" 2>/dev/null || true)
[ -n "$cluster_port" ] || { echo "the cluster simulator did not start; its log:" >&2; cat "$out/cluster.log" >&2; exit 1; }
cat > "$out/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: demo
clusters: [{name: demo, cluster: {server: "http://127.0.0.1:$cluster_port"}}]
users: [{name: opspilot, user: {tokenFile: "$out/agent-token"}}]
contexts: [{name: demo, context: {cluster: demo, user: opspilot, namespace: shop}}]
EOF

"$sandbox" --config "$root/examples/sandbox/sandbox.yaml" --listen 127.0.0.1:0 \
  --port-file "$out/sandbox.port" --speed "$speed" --start "$start" --seed 7 \
  --cluster "http://127.0.0.1:$cluster_port" --cluster-namespace shop --cluster-token-file "$out/agent-token" \
  > "$out/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$out/sandbox.port" ] && break; sleep 0.1; done
port=$(cat "$out/sandbox.port" 2>/dev/null || true)
[ -n "$port" ] || { echo "the sandbox did not start; its log:" >&2; cat "$out/sandbox.log" >&2; exit 1; }

# The agent's clock starts where the sandbox's is now, so both share one simulated timeline.
now=$(curl -sf "http://127.0.0.1:$port/api/v1/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"])')
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$out|g" -e "s|@ROOT@|$root|g" -e "s|@SPEED@|$speed|g" -e "s|@START@|$now|g" \
  "$root/examples/demo/opspilot-demo.yaml.in" > "$out/opspilot.yaml"
# The demo's approver token: large scale-ups wait for it (examples/demo/policies/shop.yaml).
export OPSPILOT_DEMO_TOKEN="demo-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
"$agent" validate -c "$out/opspilot.yaml"

real_seconds=$(python3 -c "print(round($hours*3600/$speed))")
echo "cluster on 127.0.0.1:$cluster_port (kubectl --kubeconfig $out/kubeconfig get deploy); sandbox on 127.0.0.1:$port; simulating ${hours}h at ${speed}x (${real_seconds}s); decisions as they happen:"
echo
"$agent" run -c "$out/opspilot.yaml" 2> "$out/agent.log" &
agent_pid=$!
pids+=($agent_pid)

# Stands in for the on-call engineer: approves each pending request with the CLI, as a person
# would from Slack or `opspilot approve`.
(
  api=""
  for _ in $(seq 100); do
    api=$(sed -n 's/^opspilot: serving on \(.*\)$/\1/p' "$out/agent.log" | head -n 1)
    [ -n "$api" ] && break; sleep 0.1
  done
  while kill -0 "$agent_pid" 2>/dev/null; do
    for id in $("$agent" approvals --server "http://$api" --token "$OPSPILOT_DEMO_TOKEN" --json 2>/dev/null |
                python3 -c 'import json,sys; [print(a["id"]) for a in json.load(sys.stdin)["approvals"] if a["approval"]["status"]=="pending"]' 2>/dev/null); do
      "$agent" approve "$id" --reason "demo: approved by the on-call script" --server "http://$api" \
        --token "$OPSPILOT_DEMO_TOKEN" >> "$out/approvals.log" 2>&1 || true
    done
    sleep 1
  done
) &
pids+=($!)

# A bad deploy at ${DEPLOY_AT} simulated time, as a delivery pipeline would roll it out: a new image
# on the checkout Deployment in the cluster, and in the sandbox the new revision's regression
# (latency x2.5, +3% errors). The agent should tell it from load, roll it back after approval,
# and verify that the service recovered.
deploy_at="${DEPLOY_AT:-15:00}"
(
  target=$(python3 -c "import datetime as d; s=d.datetime.fromisoformat('$now'.replace('Z','+00:00')); h,m=map(int,'$deploy_at'.split(':')); t=s.replace(hour=h,minute=m,second=0); t=t if t>s else t+d.timedelta(days=1); print(int(t.timestamp()))")
  while kill -0 "$agent_pid" 2>/dev/null; do
    t=$(curl -sf "http://127.0.0.1:$port/api/v1/state" | python3 -c 'import json,sys,datetime as d; print(int(d.datetime.fromisoformat(json.load(sys.stdin)["time"].replace("Z","+00:00")).timestamp()))' 2>/dev/null || echo 0)
    [ "$t" -ge "$target" ] && break
    sleep 0.5
  done
  kill -0 "$agent_pid" 2>/dev/null || exit 0
  curl -sf -X PATCH -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json-patch+json' \
    -d '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"shop/checkout:1.1"}]' \
    "http://127.0.0.1:$cluster_port/apis/apps/v1/namespaces/shop/deployments/checkout" > /dev/null &&
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"service":"checkout","type":"deploy","latency_factor":2.5,"error_rate":0.03}' \
    "http://127.0.0.1:$port/api/v1/incidents" > "$out/deploy.json" &&
  echo ">>> deploy: checkout image shop/checkout:1.1 rolled out at $deploy_at simulated time (a bad one)" ||
  echo ">>> deploy: could not roll out the bad deploy (cluster or sandbox refused)" >&2
) &
pids+=($!)
sleep "$real_seconds"
kill -TERM "$agent_pid"
wait "$agent_pid" || { echo "the agent exited with an error; its log:" >&2; cat "$out/agent.log" >&2; exit 1; }

echo
"$agent" report -c "$out/opspilot.yaml" --title "opspilot demo: ${hours} simulated hours on the sandbox" --latency-slo 1.0 \
  --out "$root/demo-report.md" --html "$root/demo-report.html"
echo
approved=$(grep -c ': approved' "$out/approvals.log" 2>/dev/null || true)
echo "approvals: ${approved:-0} requests (large scale-ups, the rollback) waited for a human and were approved with \`opspilot approve\` (log: $out/approvals.log)"
echo
echo "the bad deploy (sandbox ground truth: how it ended):"
curl -sf "http://127.0.0.1:$port/api/v1/incidents" | python3 -c '
import json,sys
for i in json.load(sys.stdin).get("incidents", []):
    if i.get("service") == "checkout" and i.get("type") == "deploy":
        print("  started", i.get("started_at"), "ended", i.get("ended_at"), "by", i.get("ended_by") or "(still active)")' || true
echo
echo "latest actions (opspilot decisions):"
"$agent" decisions -c "$out/opspilot.yaml" --limit 10000 | head -n 15 || true
echo
echo "report: $root/demo-report.md and $root/demo-report.html (journal and timeline in $out)"
