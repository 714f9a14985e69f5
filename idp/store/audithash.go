package store

import (
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"slices"
	"strconv"
)

// auditHashVersion opens every canonical encoding; a change to the encoding
// gets a new version, never a silent reinterpretation of stored hashes.
const auditHashVersion = "gatehouse-audit-v1"

// AuditHash is the SHA-256 of e's canonical encoding, chained to prev (the
// previous event's hash; nil for the first). The encoding is every field but
// Hash itself, each length-prefixed so no two events encode alike: the
// version, tenant, Seq, ID, CreatedAt in Unix microseconds, Type, Outcome,
// actor, subject user, client, session, IP, user agent, location, request
// id, the detail pairs in key order, and prev. Both stores call it when
// they append, and idp/audit's verification recomputes it.
func AuditHash(prev []byte, e *AuditEvent) []byte {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(auditHashVersion)
	field(e.TenantID)
	field(strconv.FormatInt(e.Seq, 10))
	field(e.ID)
	field(strconv.FormatInt(e.CreatedAt.UnixMicro(), 10))
	for _, s := range []string{e.Type, e.Outcome, e.ActorKind, e.ActorID, e.UserID, e.ClientID, e.SessionID,
		e.IP, e.UserAgent, e.Location, e.RequestID} {
		field(s)
	}
	field(strconv.Itoa(len(e.Detail)))
	for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
		field(k)
		field(e.Detail[k])
	}
	field(string(prev))
	return h.Sum(nil)
}
