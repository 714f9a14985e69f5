package postgres_test

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp/store"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres"
	"github.com/gatehouse-idp/gatehouse/idp/store/postgres/pgtest"
)

// BenchmarkAppendAuditEvent measures one chained append (the tenant's
// chain row locked, hashed, inserted, committed), alone and with 32
// appenders of one tenant queueing on its chain.
func BenchmarkAppendAuditEvent(b *testing.B) {
	s, err := postgres.Open(b.Context(), pgtest.FreshSchema(b), postgres.Options{MaxConns: 32})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	tn := &store.Tenant{Slug: "bench", Name: "B", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateTenant(b.Context(), tn); err != nil {
		b.Fatal(err)
	}
	event := func() *store.AuditEvent {
		return &store.AuditEvent{TenantID: tn.ID, Type: "login.password.succeeded", UserID: "u1", ClientID: "desk",
			IP: "203.0.113.9", UserAgent: "Firefox 133 on Linux", RequestID: "r1", Detail: map[string]string{"method": "pwd"},
			CreatedAt: time.Now()}
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if err := s.AppendAuditEvent(b.Context(), event()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("32-parallel-one-tenant", func(b *testing.B) {
		b.SetParallelism(16) // 2 cores × 16 = 32 appenders
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.AppendAuditEvent(b.Context(), event()); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
