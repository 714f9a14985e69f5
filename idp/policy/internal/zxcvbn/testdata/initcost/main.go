// Command initcost is built and run by TestImportAllocatesNothing. It links
// every vendored zxcvbn package, but without arguments it scores nothing, so
// under GODEBUG=inittrace=1 it shows what merely importing the packages
// costs. With arguments it scores all of them at the same moment, one
// goroutine each (so the first, lazily loading calls race each other), and
// prints one "score entropy" line per argument, in order.
package main

import (
	"fmt"
	"os"
	"sync"

	"github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn"
)

func main() {
	passwords := os.Args[1:]
	lines := make([]string, len(passwords))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, pw := range passwords {
		wg.Go(func() {
			<-start
			res := zxcvbn.PasswordStrength(pw, nil)
			lines[i] = fmt.Sprintf("%d %v", res.Score, res.Entropy)
		})
	}
	close(start)
	wg.Wait()
	for _, l := range lines {
		fmt.Println(l)
	}
}
