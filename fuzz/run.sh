#!/usr/bin/env bash
# Builds the fuzz targets as `cargo fuzz build` does (libFuzzer, sanitizer coverage,
# AddressSanitizer, debug assertions) and runs each for a bounded time. Needs rustup's nightly
# toolchain and a C++ compiler (libfuzzer-sys compiles libFuzzer), not cargo-fuzz.
#
#   fuzz/run.sh [target...]      all targets when none is named
#
#   FUZZ_SECONDS    seconds per target (60)
#   FUZZ_TOOLCHAIN  the nightly toolchain to build with (nightly)
#   FUZZ_SANITIZER  address (default, when the toolchain can link it) or none
#   FUZZ_ARGS       more libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-seed=1"
#
# New inputs go to fuzz/corpus/<target>/ and crashes to fuzz/artifacts/<target>/ (both
# git-ignored), libFuzzer's output to fuzz/target/logs/<target>.log. The exit status is 1 when
# any target found a crash (or a timeout, or ran out of memory), after running all of them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
seconds=${FUZZ_SECONDS:-60}
toolchain=${FUZZ_TOOLCHAIN:-nightly}
if (($# > 0)); then targets=("$@"); else targets=(render offline_manifest); fi

# Inputs to start from, besides what earlier runs found.
seeds() {
	case $1 in
	offline_manifest) echo "$root/tests/corpus/offline" "$root/samples" ;;
	esac
}

host=$(rustc +"$toolchain" -vV | sed -n 's/^host: //p')
flags=(
	-Cpasses=sancov-module
	-Cllvm-args=-sanitizer-coverage-level=4
	-Cllvm-args=-sanitizer-coverage-inline-8bit-counters
	-Cllvm-args=-sanitizer-coverage-pc-table
	-Cllvm-args=-sanitizer-coverage-trace-compares
	--cfg fuzzing
	-Cdebug-assertions
	-Coverflow-checks
	-Cforce-frame-pointers
)
# AddressSanitizer, if this toolchain can build and link a program with it: newer nightlies
# refuse to mix it with the uninstrumented standard library unless told it is fine.
if [[ ${FUZZ_SANITIZER:-address} == address ]]; then
	probe=$(mktemp -d)
	trap 'rm -rf "$probe"' EXIT
	echo 'fn main() {}' >"$probe/probe.rs"
	for extra in "" "-Cunsafe-allow-abi-mismatch=sanitizer"; do
		# shellcheck disable=SC2086 # $extra is one flag or none
		if rustc +"$toolchain" -Zsanitizer=address $extra --target "$host" \
			-o "$probe/probe" "$probe/probe.rs" 2>/dev/null && "$probe/probe"; then
			flags+=(-Zsanitizer=address $extra)
			sanitizer=address
			break
		fi
	done
	if [[ -z ${sanitizer:-} ]]; then
		echo "fuzz: AddressSanitizer does not work with $toolchain here; fuzzing without it" >&2
	fi
fi

target_dir=${CARGO_TARGET_DIR:-$here/target}
echo "fuzz: building ${targets[*]} (cargo +$toolchain, ${sanitizer:-no} sanitizer)" >&2
# --target keeps the instrumentation off build scripts and proc macros, as cargo-fuzz does.
(cd "$here" && RUSTFLAGS="${flags[*]}" nice -n 19 cargo +"$toolchain" build --release \
	--target "$host" --target-dir "$target_dir" "${targets[@]/#/--bin=}")

mkdir -p "$target_dir/logs"
failed=()
summary=()
for target in "${targets[@]}"; do
	binary=$target_dir/$host/release/$target
	corpus=$here/corpus/$target
	artifacts=$here/artifacts/$target
	log=$target_dir/logs/$target.log
	mkdir -p "$corpus" "$artifacts"
	args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1
		-artifact_prefix="$artifacts/")
	[[ -f $here/$target.dict ]] && args+=(-dict="$here/$target.dict")
	# shellcheck disable=SC2206 # FUZZ_ARGS is a list of flags
	args+=(${FUZZ_ARGS:-})
	read -r -a seed_dirs <<<"$(seeds "$target")"
	echo "fuzz: $target for ${seconds}s (corpus fuzz/corpus/$target, log ${log#"$root"/})" >&2
	status=0
	RUST_BACKTRACE=1 nice -n 19 "$binary" "${args[@]}" "$corpus" "${seed_dirs[@]}" >"$log" 2>&1 || status=$?
	# libFuzzer's closing lines: "Done N runs in S second(s)" and, with -print_final_stats,
	# "stat::number_of_executed_units: N" (also printed after a crash).
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	inputs=$(find "$corpus" -type f | wc -l)
	line="$target: ${runs:-?} executions"
	if [[ -n $runs && -n $took ]]; then
		line+=" in ${took}s ($((runs / (took > 0 ? took : 1)))/s)"
	fi
	line+=", corpus $inputs inputs"
	if ((status != 0)); then
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		line+=", FAILED (libFuzzer exit status $status)"
		failed+=("$target")
		echo "---- last lines of $log ----" >&2
		tail -n 40 "$log" >&2
		echo "----" >&2
		if [[ -n $crash ]]; then
			echo "fuzz: $target: the input is in ${crash#"$root"/}; reproduce with" >&2
			echo "  $binary $crash" >&2
			echo "  (or: cargo +nightly fuzz run $target $crash)" >&2
		fi
	else
		line+=", no crash"
	fi
	summary+=("$line")
done

echo
printf 'fuzz: %s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
	echo "fuzz: crashes found in: ${failed[*]}" >&2
	exit 1
fi
