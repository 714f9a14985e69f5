package audit

import (
	"bytes"
	"context"
	"fmt"

	"github.com/gatehouse-idp/gatehouse/idp/store"
)

// ChainReader is what Verify reads.
type ChainReader interface {
	AuditChain(ctx context.Context, tenantID string) (store.AuditChain, error)
	ListAuditEvents(ctx context.Context, tenantID string, q store.AuditQuery) ([]*store.AuditEvent, error)
}

// Report is the outcome of Verify.
type Report struct {
	Events int   // events checked
	First  int64 // Seq of the oldest event kept (0: none)
	Last   int64 // Seq of the newest
	// Anchor is where retention truncated the chain (or where the chain
	// began on a database that had events before it): events up to it are
	// gone and not covered.
	Anchor int64
	// Broken names the first broken link; nil when the chain holds.
	Broken *Break
}

// Break is the first place the chain does not hold.
type Break struct {
	Seq    int64  // the event at fault, or the one expected there
	ID     string // its id, when there is an event
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", b.Seq, b.Reason)
}

// verifyPage is how many events Verify reads per query.
const verifyPage = 1000

// Verify walks a tenant's chain oldest first and reports the first broken
// link: an event missing from the sequence, a PrevHash that is not its
// predecessor's Hash, a Hash that does not match the event's contents (an
// edited row), or a head that does not match the newest event (events
// deleted from the end). Memory stays constant whatever the chain's length.
// err is a store failure, not a broken chain.
func Verify(ctx context.Context, st ChainReader, tenantID string) (Report, error) {
	c, err := st.AuditChain(ctx, tenantID)
	if err != nil {
		return Report{}, err
	}
	r := Report{Anchor: c.AnchorSeq}
	seq, prev := c.AnchorSeq, c.AnchorHash
	for {
		page, err := st.ListAuditEvents(ctx, tenantID, store.AuditQuery{Oldest: true, After: seq, Limit: verifyPage})
		if err != nil {
			return r, err
		}
		for _, e := range page {
			switch {
			case e.Seq != seq+1:
				r.Broken = &Break{Seq: seq + 1, Reason: fmt.Sprintf("missing: the next event kept is %d", e.Seq)}
			case !bytes.Equal(e.PrevHash, prev):
				r.Broken = &Break{Seq: e.Seq, ID: e.ID, Reason: "its previous-hash is not the hash of the event before it"}
			case !bytes.Equal(e.Hash, store.AuditHash(e.PrevHash, e)):
				r.Broken = &Break{Seq: e.Seq, ID: e.ID, Reason: "its contents do not match its hash (the row was changed)"}
			}
			if r.Broken != nil {
				return r, nil
			}
			if r.First == 0 {
				r.First = e.Seq
			}
			seq, prev, r.Last = e.Seq, e.Hash, e.Seq
			r.Events++
		}
		if len(page) < verifyPage {
			break
		}
	}
	if seq != c.LastSeq || !bytes.Equal(prev, c.LastHash) {
		r.Broken = &Break{Seq: seq + 1, Reason: fmt.Sprintf("missing: the chain's head is event %d, the newest event kept is %d", c.LastSeq, seq)}
	}
	return r, nil
}
