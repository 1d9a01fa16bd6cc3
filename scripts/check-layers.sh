#!/usr/bin/env bash
# Checks lazydag-core's layering: its modules, in the order lib.rs declares them (bottom
# first), may each refer (`crate::module`, in a `use` or a path) only to modules declared
# before it. Prints every upward reference and fails if there is one. Comments (and so doc
# links) are not references, and neither is a file's inline unit-test module (from its
# `mod tests {` line to the end): tests may use the whole crate. `.ci/run` runs it.
set -euo pipefail
cd "$(dirname "$0")/../crates/lazydag-core/src"

# The layer order: the `mod` lines of lib.rs.
mapfile -t order < <(sed -n -E 's/^(pub )?mod ([a-z_]+);.*/\2/p' lib.rs)
if [ "${#order[@]}" -lt 2 ]; then
    echo "check-layers: found no module list in lib.rs" >&2
    exit 1
fi
declare -A rank
for i in "${!order[@]}"; do
    rank[${order[$i]}]=$i
done

status=0
# A grouped `use crate::{a::X, b::Y}` would hide its modules from the scan below.
if grep -rn -E '^[^/]*crate::\{' --include='*.rs' . >&2; then
    echo "check-layers: name each module in its own \`use crate::module::…\` (no \`crate::{…}\`)" >&2
    status=1
fi
for module in "${order[@]}"; do
    files=()
    [ -f "$module.rs" ] && files+=("$module.rs")
    [ -d "$module" ] && while IFS= read -r f; do files+=("$f"); done < <(find "$module" -name '*.rs' | sort)
    for file in "${files[@]}"; do
        # Code only: drop line comments (doc comments included), then list `crate::name`
        # (not `$crate::`, which macros expand in the user's crate).
        while IFS=: read -r line target; do
            [ -z "${target:-}" ] && continue
            [ "$target" = "$module" ] && continue
            if [ -z "${rank[$target]+x}" ]; then
                continue # not a module of the list (a re-exported item at the crate root)
            fi
            if [ "${rank[$target]}" -gt "${rank[$module]}" ]; then
                echo "upward import: $file:$line: \`$module\` uses \`crate::$target\`, which lib.rs lists above it" >&2
                status=1
            fi
        done < <(sed -E -e '/^mod tests \{/,$d' -e 's://.*$::' "$file" \
            | grep -n -o -E '(^|[^$A-Za-z0-9_])crate::[a-z_]+' \
            | sed -E 's/^([0-9]+):.*crate::([a-z_]+)$/\1:\2/')
    done
done
if [ "$status" -eq 0 ]; then
    echo "check-layers: ${#order[@]} modules of lazydag-core, no upward import"
fi
exit "$status"
