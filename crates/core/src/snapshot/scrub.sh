# Sandbox Desktop's secret scrub, run inside a sandbox before a "Snapshot and delete" capture.
#
#   /bin/sh -c "$SBX_SCRUB_SCRIPT" amikad-scrub scan < extra-roots
#
# The app gives it a fixed environment (PATH, LC_ALL, no LD_PRELOAD, ...) and:
#   SBX_SCRUB_ACT        find (list only) or remove
#   SBX_SCRUB_SCRIPT     this script (parts run again through find -exec, so any file name is one argument;
#                        through eval, as busybox find refuses an argument that contains a second '{}')
#   SBX_SCRUB_MOUNTS     the app's own bind mounts, one a line: never touched (a commit does not capture them)
#   SBX_SCRUB_CREDS      the mounted credential files, one a line
#   SBX_SCRUB_CREDPATHS  the agents' credential paths relative to a home folder, one a line
#   SBX_SCRUB_NV         how many secret values; SBX_SCRUB_V0, SBX_SCRUB_V1, ... the values
# Standard input: paths the engine reports as added or changed outside the fixed roots, one a line.
#
# Output: one record per finding, KIND<TAB>PATH<NUL>; a finding it could not remove is
# failed<TAB>KIND<TAB>PATH<NUL> and the exit code is not 0. The app runs a find pass after a remove pass: anything
# still found fails the snapshot (fail closed).
set -u
part=${1:-scan}
[ $# -gt 0 ] && shift
status=0
NL='
'

# The app's bind mounts are not captured and cannot be removed: leave them.
mounted() {
  case "$NL$SBX_SCRUB_MOUNTS$NL" in
    *"$NL$1$NL"*) return 0 ;;
  esac
  return 1
}

found() { # KIND PATH
  mounted "$2" && return 0
  [ "$2" = "${list:-}" ] && return 0
  if [ "$SBX_SCRUB_ACT" = remove ]; then
    rm -rf -- "$2" 2>/dev/null
    if [ -e "$2" ] || [ -L "$2" ]; then
      printf 'failed\t%s\t%s\000' "$1" "$2"
      status=91
      return 0
    fi
  fi
  printf '%s\t%s\000' "$1" "$2"
}

# PAT: the grep arguments matching any secret value, to be used through eval (values stay in variables).
patterns() {
  PAT=
  i=0
  while [ "$i" -lt "${SBX_SCRUB_NV:-0}" ]; do
    PAT="$PAT -e \"\$SBX_SCRUB_V$i\""
    i=$((i + 1))
  done
}

url_token='(https?://)[^/@[:space:]]+@'
url_password='(://[^/:@[:space:]]+):[^/@[:space:]]*@'
extra_header='^[[:space:]]*extraheader[[:space:]]*='

git_config() { # PATH
  mounted "$1" && return 0
  kinds=
  if grep -Eq "$url_token|$url_password" "$1" 2>/dev/null; then kinds="$kinds git-url-credentials"; fi
  if grep -Eiq "$extra_header" "$1" 2>/dev/null; then kinds="$kinds git-extra-header"; fi
  [ -n "$kinds" ] || return 0
  outcome=
  if [ "$SBX_SCRUB_ACT" = remove ]; then
    sed -i -E -e "s#$url_token#\\1#g" -e "s#$url_password#\\1@#g" "$1" 2>/dev/null
    sed -i -E '/^[[:space:]]*[eE][xX][tT][rR][aA][hH][eE][aA][dD][eE][rR][[:space:]]*=/d' "$1" 2>/dev/null
    if grep -Eq "$url_token|$url_password" "$1" 2>/dev/null || grep -Eiq "$extra_header" "$1" 2>/dev/null; then
      outcome='failed	'
      status=93
    fi
  fi
  for kind in $kinds; do printf '%s%s\t%s\000' "$outcome" "$kind" "$1"; done
}

case $part in
  copies) # CREDENTIAL FILE...: the files that are byte-for-byte copies of the credential
    cred=$1
    shift
    for f in "$@"; do
      [ "$f" = "$cred" ] && continue
      if cmp -s "$cred" "$f" 2>/dev/null; then found credential-copy "$f"; fi
    done
    exit $status
    ;;
  values) # FILE...: the files holding a secret value
    patterns
    for f in "$@"; do
      if eval "grep -qsF $PAT -- \"\$f\""; then found secret-value "$f"; fi
    done
    exit $status
    ;;
  named) # KIND FILE...
    kind=$1
    shift
    for f in "$@"; do found "$kind" "$f"; done
    exit $status
    ;;
  gitconfig) # FILE...
    for f in "$@"; do git_config "$f"; done
    exit $status
    ;;
  scan) ;;
  *)
    echo "unknown part: $part" >&2
    exit 2
    ;;
esac

for tool in find grep sed cmp rm wc; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "the sandbox has no '$tool', which removing secrets needs" >&2
    exit 95
  }
done
list=$(mktemp 2>/dev/null) || list=/tmp/.amikad-scrub-$$
: 2>/dev/null > "$list" || {
  echo "cannot write a temporary file in /tmp, which removing secrets needs" >&2
  exit 90
}
trap 'rm -f "$list"' EXIT

# 1. Files at the agents' credential paths under both homes, however they got there.
while IFS= read -r rel; do
  [ -n "$rel" ] || continue
  for home in /home/amika /root; do
    if [ -e "$home/$rel" ] || [ -L "$home/$rel" ]; then found credential-file "$home/$rel"; fi
  done
done <<EOF
$SBX_SCRUB_CREDPATHS
EOF

# Where the rest looks: the homes, the temporary folders, and what the engine says changed elsewhere.
set --
for root in /home /root /tmp /var/tmp; do
  if [ -d "$root" ] && [ ! -L "$root" ]; then set -- "$@" "$root"; fi
done
while IFS= read -r root; do
  if [ -n "$root" ] && [ -e "$root" ] && [ ! -L "$root" ]; then set -- "$@" "$root"; fi
done
[ $# -gt 0 ] || exit $status

# 2. Copies of the mounted credential files (same size first, then byte for byte).
while IFS= read -r cred; do
  [ -n "$cred" ] && [ -f "$cred" ] || continue
  size=$(wc -c < "$cred") || { status=96; continue; }
  size=$((size + 0))
  # A tiny file matches too much to be a credential's copy.
  [ "$size" -ge 16 ] || continue
  find "$@" -type f -size "${size}c" -exec /bin/sh -c 'eval "$SBX_SCRUB_SCRIPT"' amikad-scrub copies "$cred" {} + || status=96
done <<EOF
$SBX_SCRUB_CREDS
EOF

# 3. Files holding a secret value: one grep over batches of regular files, each name it prints checked again alone
#    (a name may hold a newline), and names with a newline checked one by one.
if [ "${SBX_SCRUB_NV:-0}" -gt 0 ]; then
  patterns
  eval "find \"\$@\" -type f -exec grep -lsF $PAT -- {} +" > "$list"
  while IFS= read -r f; do
    [ -f "$f" ] || continue
    if eval "grep -qsF $PAT -- \"\$f\""; then found secret-value "$f"; fi
  done < "$list"
  find "$@" -type f -name "*$NL*" -exec /bin/sh -c 'eval "$SBX_SCRUB_SCRIPT"' amikad-scrub values {} + || status=96
fi

# 4. Git credentials, git configurations with credentials, and shell histories (also in the usual work folders).
for root in /srv /opt /workspace /etc/gitconfig; do
  if [ -e "$root" ] && [ ! -L "$root" ]; then set -- "$@" "$root"; fi
done
find "$@" \( -name .git-credentials -o -name '.git-credentials.*' \) \( -type f -o -type l \) \
  -exec /bin/sh -c 'eval "$SBX_SCRUB_SCRIPT"' amikad-scrub named git-credentials {} + || status=96
find "$@" -type f \( -path '*/.git/config' -o -name .gitconfig -o -path '*/.config/git/config' -o -path /etc/gitconfig \) \
  -exec /bin/sh -c 'eval "$SBX_SCRUB_SCRIPT"' amikad-scrub gitconfig {} + || status=96
find "$@" \( -type f -o -type l \) \( -name .bash_history -o -name .zsh_history -o -name .ash_history \
  -o -name .sh_history -o -name .history -o -name .python_history -o -name .node_repl_history \
  -o -name .psql_history -o -name .mysql_history -o -name .sqlite_history -o -name .lesshst \
  -o -name .irb_history -o -name .rediscli_history -o -name fish_history \) \
  -exec /bin/sh -c 'eval "$SBX_SCRUB_SCRIPT"' amikad-scrub named shell-history {} + || status=96
exit $status
