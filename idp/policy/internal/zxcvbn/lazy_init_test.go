package zxcvbn

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// maxInitBytes bounds what the vendored packages may allocate while a
// program starts. Upstream allocates about 18 MB here (frequency 10 MB,
// matching 8 MB, adjacency 0.4 MB); what is left are a few compiled
// regular expressions and go-bindata's small asset index.
const maxInitBytes = 100_000

const pkgPrefix = "github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn"

// TestImportAllocatesNothing builds testdata/initcost, runs it with
// GODEBUG=inittrace=1 without scoring anything and requires the zxcvbn
// packages to stay under maxInitBytes. It then runs it again with passwords
// that it scores concurrently on first use and requires the same results as
// this process.
func TestImportAllocatesNothing(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH:", err)
	}
	bin := filepath.Join(t.TempDir(), "initcost")
	build := exec.Command(goTool, "build", "-o", bin, "./testdata/initcost")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/initcost: %v\n%s", err, out)
	}

	run := exec.Command(bin)
	run.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	run.Stderr = &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("initcost: %v\n%s", err, stderr.Bytes())
	}
	costs, err := zxcvbnInitCosts(stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) == 0 {
		// The regular expressions in entropy and matching always allocate,
		// so an empty list means the trace format was not understood.
		t.Fatalf("inittrace shows no %s package; cannot measure:\n%s", pkgPrefix, stderr.Bytes())
	}
	total := 0
	for _, pkg := range slices.Sorted(maps.Keys(costs)) {
		total += costs[pkg]
		t.Logf("init %s: %d bytes", pkg, costs[pkg])
	}
	if total >= maxInitBytes {
		t.Errorf("importing zxcvbn allocates %d bytes at init, want < %d: %v", total, maxInitBytes, costs)
	}

	passwords := []string{"password", "Tr0ub4dour&3", "qwertyuiop", "13/3/1997", "correcthorsebatterystaple", "x7Kp#9vLq2!mZ", "p@ssw0rd", "aoeuidhtns"}
	out, err := exec.Command(bin, passwords...).Output()
	if err != nil {
		t.Fatalf("initcost %v: %v", passwords, err)
	}
	gotLines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(gotLines) != len(passwords) {
		t.Fatalf("initcost printed %d lines for %d passwords:\n%s", len(gotLines), len(passwords), out)
	}
	for i, pw := range passwords {
		res := PasswordStrength(pw, nil)
		if want := fmt.Sprintf("%d %v", res.Score, res.Entropy); gotLines[i] != want {
			t.Errorf("password %q scored concurrently on first use: got %q, want %q", pw, gotLines[i], want)
		}
	}
}

// zxcvbnInitCosts returns the bytes allocated at init per zxcvbn package,
// from lines such as
//
//	init example.com/pkg @2.2 ms, 0.57 ms clock, 378640 bytes, 2216 allocs
func zxcvbnInitCosts(trace string) (map[string]int, error) {
	costs := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(trace))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[0] != "init" || !strings.HasPrefix(f[1], pkgPrefix) {
			continue
		}
		if f[8] != "bytes," {
			return nil, fmt.Errorf("unexpected inittrace line %q", sc.Text())
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			return nil, fmt.Errorf("inittrace line %q: %w", sc.Text(), err)
		}
		costs[f[1]] += n
	}
	return costs, sc.Err()
}
