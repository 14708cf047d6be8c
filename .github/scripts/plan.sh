#!/usr/bin/env bash
# .github/scripts/plan.sh: the "Plan" step of .github/workflows/statesync.yml, which embeds
# this file verbatim (edit it here, then run `python3 .github/scripts/embed.py`).
#
# Runs `statesync plan` and always writes a comment body and a job summary, also when
# validation or the plan failed: the sticky PR comment must never go on showing an old plan.
# The plan is untrusted content (statesync escapes it); it goes to files only, never to
# stdout, where a line starting with `::` would be a workflow command.
#
# Environment, set by the workflow from its inputs (none of them is a secret):
#   STATESYNC_DIR               project directory, relative to the repository root (".")
#   STATESYNC_ONLY              optional glob passed as `--only` (one shard of a project)
#   STATESYNC_HEADER            optional key of the sticky comment (derived from DIR, ONLY)
#   STATESYNC_VALIDATE_OUTCOME  outcome of the validate step: success|failure|skipped
#   STATESYNC_COMMENT_LIMIT     bytes the comment may take (GitHub allows 65,536 characters)
#   STATESYNC_SUMMARY_LIMIT     bytes the job summary may take (GitHub allows 1 MiB a step)
# and the secrets statesync reads (FACEBOOK_ACCESS_TOKEN, ...): empty ones are unset, as an
# optional secret the caller did not pass arrives as an empty string.
#
# Outputs ($GITHUB_OUTPUT): outcome (changes|no-changes|invalid|failed), has-changes,
# header, artifact-name, comment-path, plan-dir. Exit status: 0 when a plan was made.
set -euo pipefail

for name in FACEBOOK_ACCESS_TOKEN FACEBOOK_APP_SECRET ONEALL_PUBLIC_KEY ONEALL_PRIVATE_KEY ONEALL_IDENTITY_TOKEN \
  ONEALL_TWITTER_IDENTITY_TOKEN ONEALL_LINKEDIN_IDENTITY_TOKEN ONEALL_PINTEREST_IDENTITY_TOKEN; do
  if [ -z "${!name:-}" ]; then unset "$name"; fi
done

dir=${STATESYNC_DIR:-.}
dir=${dir#./}
dir=${dir%/}
dir=${dir:-.}
only=${STATESYNC_ONLY:-}
comment_limit=${STATESYNC_COMMENT_LIMIT:-60000}
summary_limit=${STATESYNC_SUMMARY_LIMIT:-1000000}
output=${GITHUB_OUTPUT:-/dev/null}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"

# A name safe in a file path, an artifact name and an HTML comment.
slug=$(printf '%s %s' "$dir" "$only" | LC_ALL=C tr -c 'A-Za-z0-9._-' '-' | LC_ALL=C tr -s '-')
slug=${slug#-}
slug=${slug%-}
if [ "$slug" = "." ] || [ -z "$slug" ]; then
  suffix=""
else
  suffix="-$slug"
fi
header=${STATESYNC_HEADER:-statesync$suffix}
artifact="statesync-plan$suffix"
work="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/statesync-plan$suffix"
rm -rf "$work"
mkdir -p "$work/plan"
plan_md="$work/plan/plan.md"
plan_file="$work/plan/statesync.plan"
comment="$work/comment.md"

# What the plan is of: the pull request's head and base, or the commit and branch.
read -r head base < <(python3 - <<'PY'
import json, os
event = {}
path = os.environ.get("GITHUB_EVENT_PATH")
if path and os.path.exists(path):
    with open(path, encoding="utf-8") as f:
        event = json.load(f)
pr = event.get("pull_request") or {}
head = (pr.get("head") or {}).get("sha") or os.environ.get("GITHUB_SHA", "")
base = (pr.get("base") or {}).get("ref") or os.environ.get("GITHUB_REF_NAME", "")
print(head[:12] or "-", base or "-")
PY
)

# Keep at most $2 bytes of markdown file $1, cut at a line end; close a code fence or
# <details> left open by the cut (CommonMark fences: up to 3 spaces, 3+ ` or ~), then say
# what was cut. LC_ALL=C: length() counts bytes in mawk and gawk alike.
truncate_markdown() {
  local file=$1 budget=$2 total
  total=$(wc -c <"$file" | tr -d ' ')
  if [ "$total" -le "$budget" ]; then
    cat "$file"
    return
  fi
  LC_ALL=C TOTAL=$total RUN_URL=$run_url awk -v budget="$budget" '
    function strip(s) { sub(/^   |^  |^ /, "", s); return s }
    function run_of(s, c,   n) { n = 0; while (substr(s, n + 1, 1) == c) n++; return n }
    BEGIN { used = 0; fence_char = ""; fence_len = 0; details = 0 }
    {
      if (used + length($0) + 1 > budget) { cut = 1; exit }
      print; used += length($0) + 1
      s = strip($0)
      if (fence_char != "") {
        n = run_of(s, fence_char)
        rest = substr(s, n + 1)
        if (n >= fence_len && rest ~ /^[ \t]*$/) { fence_char = ""; fence_len = 0 }
        next
      }
      c = substr(s, 1, 1)
      if ((c == "`" || c == "~") && run_of(s, c) >= 3) { fence_char = c; fence_len = run_of(s, c); next }
      line = $0
      details += gsub(/<details[ >]/, "", line)
      line = $0
      details -= gsub(/<\/details>/, "", line)
      if (details < 0) details = 0
    }
    END {
      if (!cut) exit
      if (fence_char != "") { f = ""; for (i = 0; i < fence_len; i++) f = f fence_char; print f }
      for (i = 0; i < details; i++) print "</details>"
      print ""
      printf "> **Plan truncated:** %d more bytes are not shown here. The full plan is in the job summary and the plan artifact of [this workflow run](%s).\n", ENVIRON["TOTAL"] - used, ENVIRON["RUN_URL"]
    }
  ' "$file"
}

outcome=failed
rc=0
if [ "${STATESYNC_VALIDATE_OUTCOME:-success}" = "failure" ]; then
  outcome=invalid
else
  args=(plan "$dir" --format markdown --detailed-exitcode --out "$plan_file")
  if [ -n "$only" ]; then args+=(--only "$only"); fi
  # Images to upload are shown from the pull request's head commit, where they are.
  if [ -n "${GITHUB_REPOSITORY:-}" ] && [ -n "${STATESYNC_HEAD_SHA:-}" ]; then
    media_url="${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/raw/$STATESYNC_HEAD_SHA"
    if [ "$dir" != "." ]; then media_url+="/${dir#./}"; fi
    args+=(--media-url "$media_url")
  fi
  echo "+ statesync ${args[*]}"
  statesync "${args[@]}" >"$plan_md" || rc=$?
  case $rc in
    0) outcome=no-changes ;;
    2) outcome=changes ;;
    *) outcome=failed ;;
  esac
fi

# The caller's names go in code spans; backticks in them would end the span.
title="#### statesync plan"
if [ "$dir" != "." ]; then title+=" · \`${dir//\`/}\`"; fi
if [ -n "$only" ]; then title+=" · shard \`${only//\`/}\`"; fi
case $outcome in
  invalid) message="**The manifests have errors.** Each one is marked on its line in the *Files changed* tab and listed in the [workflow run]($run_url). Nothing was planned." ;;
  failed) message="**statesync plan failed** (exit status $rc), so there is no plan to show. The reason is in the log of the [workflow run]($run_url). Nothing was applied." ;;
  *) message="" ;;
esac
of=""
if [ "$head" != "-" ]; then of=" for \`$head\`"; fi
if [ "$base" != "-" ]; then of+=" into \`$base\`"; fi
footer="<sub>Planned$of by [this workflow run]($run_url). On merge, \`statesync apply\` computes the plan again and applies it.</sub>"

# $1 = byte limit of the whole body.
write_body() {
  local limit=$1 budget
  printf '%s\n\n' "$title"
  if [ -n "$message" ]; then
    printf '%s\n' "$message"
  else
    budget=$((limit - ${#title} - ${#footer} - 512))
    if [ "$budget" -lt 0 ]; then budget=0; fi
    truncate_markdown "$plan_md" "$budget"
  fi
  printf '\n---\n%s\n' "$footer"
}

write_body "$comment_limit" >"$comment"
write_body "$summary_limit" >>"$summary"

has_changes=false
if [ "$outcome" = changes ]; then has_changes=true; fi
{
  echo "outcome=$outcome"
  echo "has-changes=$has_changes"
  echo "header=$header"
  echo "artifact-name=$artifact"
  echo "comment-path=$comment"
  echo "plan-dir=$work/plan"
} >>"$output"

echo "statesync plan: $outcome"
case $outcome in
  invalid) exit 1 ;;
  failed) exit "$rc" ;;
esac
