package config

import (
	"fmt"
	"strconv"
)

// owaspArgon2id are the argon2id settings the OWASP Password Storage Cheat
// Sheet lists as equally strong (all with parallelism 1), trading memory
// for iterations. A configuration passes when some row has memory and
// iterations no greater than it.
var owaspArgon2id = []struct{ memoryKiB, iterations uint32 }{
	{47104, 1}, // 46 MiB
	{19456, 2}, // 19 MiB, the default
	{12288, 3}, // 12 MiB
	{9216, 4},  // 9 MiB
	{7168, 5},  // 7 MiB
}

const owaspArgon2Hint = "OWASP's equivalent argon2id settings are memory_kib/iterations 47104/1, 19456/2, 12288/3, 9216/4, 7168/5"

// minArgon2Memory returns the least memory OWASP accepts with iterations
// passes, or 0 when iterations is 0.
func minArgon2Memory(iterations uint32) uint32 {
	var least uint32
	for _, row := range owaspArgon2id {
		if row.iterations <= iterations && (least == 0 || row.memoryKiB < least) {
			least = row.memoryKiB
		}
	}
	return least
}

func checkArgon2(k *checker) {
	a := k.c.Argon2
	if a.Iterations == 0 {
		k.fail("argon2.iterations", "0", "must be 1 or more", owaspArgon2Hint)
	} else if least := minArgon2Memory(a.Iterations); a.MemoryKiB < least {
		k.fail("argon2.memory_kib", strconv.FormatUint(uint64(a.MemoryKiB), 10),
			fmt.Sprintf("must be %d or more with argon2.iterations %d (OWASP minimum)", least, a.Iterations), owaspArgon2Hint)
	}
	if a.Parallelism == 0 {
		k.fail("argon2.parallelism", "0", "must be 1 or more", "")
	}
	if a.MaxConcurrent < 1 {
		k.fail("argon2.max_concurrent", strconv.Itoa(a.MaxConcurrent), "must be 1 or more", "")
	}
}
