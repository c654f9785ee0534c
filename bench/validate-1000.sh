#!/usr/bin/env bash
# Measures `personaops validate` on N generated manifests (default 1,000): the wall time of the whole
# process, median of several runs, from a Release publish. Usage: bench/validate-1000.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
runs=${2:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet publish src/PersonaOps.Cli -c Release -r linux-x64 --self-contained false -o "$work/bin" --nologo -v quiet >/dev/null
mkdir -p "$work/project/personas"
for i in $(seq 1 "$n"); do
  cat > "$work/project/personas/persona-$i.yaml" <<YAML
# yaml-language-server: \$schema=../schemas/persona/v1/persona.schema.json
apiVersion: personaops/v1
kind: Persona
metadata:
  name: persona-$i
spec:
  persona_name: Persona $i
  system_prompt: |
    You are persona number $i, a friendly guide for new customers.
    Greet them by name, find out what they need, and keep answers short.
    Never promise refunds; hand billing disputes to a human colleague.
  pipeline_mode: full
  default_replica_id: r665388ec672
  layers:
    llm:
      model: tavus-gpt-oss
      speculative_inference: true
      tools:
        - type: function
          function:
            name: lookup_order_$i
            description: Look up an order by its number.
            parameters:
              type: object
              properties:
                order_number: {type: string}
              required: [order_number]
    tts:
      tts_engine: cartesia
      voice_settings: {speed: normal, emotion: [positivity]}
    stt:
      stt_engine: tavus-auto
    perception:
      perception_model: raven-1
      visual_awareness_queries: [Is the user holding a document?]
    conversational_flow:
      turn_detection_model: sparrow-1
      turn_taking_patience: medium
YAML
done

times=()
for _ in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$work/bin/personaops" validate --dir "$work/project" >/dev/null 2>"$work/stderr" || { cat "$work/stderr"; exit 1; }
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(printf '%s\n' "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
echo "validate of $n manifests: median ${median} ms over $runs runs (all: $(echo $sorted | tr '\n' ' '))"
tail -n 1 "$work/stderr"
