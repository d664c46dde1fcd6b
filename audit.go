package gqljwt

import (
	"context"
	"log/slog"
	"time"
)

// EventKind names a security event. Values never change once released:
// dashboards and alerts match on them.
type EventKind string

// The security events a Service reports.
const (
	EventLoginSucceeded   EventKind = "login.succeeded"
	EventLoginFailed      EventKind = "login.failed"
	EventLoginThrottled   EventKind = "login.throttled"
	EventLockout          EventKind = "login.lockout"
	EventRefreshReused    EventKind = "refresh.reused"
	EventSessionRevoked   EventKind = "session.revoked"
	EventUserSecretBumped EventKind = "user.secret_bumped"
	EventKeysRotated      EventKind = "keys.rotated"
)

// Event is one security event. It never carries a token, a password, a
// refresh token or a key: only who, from where, and why.
type Event struct {
	Kind EventKind
	// Time is by the Service's clock.
	Time time.Time
	// Subject is the user ID, when known; Login is the name a login was
	// attempted with (a username or an email), which may name no user. It
	// is what the client typed (at most 254 bytes), so a user who types a
	// password into the name field puts it here, as in any login log:
	// guard the log accordingly.
	Subject, Login string
	// SessionID is the sid concerned, when there is one.
	SessionID string
	// ClientAddr is the client's address (ClientAddr(ctx)), when known.
	ClientAddr string
	// Reason says why, in a word. On EventLoginFailed it is
	// "invalid_credentials" (wrong password), "inactive" (right password,
	// disabled user) or "unknown_user": the client is told the same for
	// all three, only the event tells them apart. On EventLoginThrottled
	// and EventLockout it is the kind of key that refused or was locked:
	// "account_client" (the account from this client address), "account"
	// (the account from all untrusted clients), "address" (all accounts
	// from this address) or "device" (the account from this trusted
	// device). On EventKeysRotated it is the new signing key's kid, "" if
	// it has none. On EventUserSecretBumped it is "revoked" or
	// "refreshed" when Config.UserSecrets marked or cleared the secret,
	// "" for a plain bump. The session events give theirs: "logout",
	// "reuse", "logout_all", ...
	Reason string
	// RetryAfter is set on throttling and lockout events: how long the
	// client is refused for, the lock's length on EventLockout.
	RetryAfter time.Duration
}

// AuditHook receives every security event, synchronously, on the
// goroutine of the request: keep it quick (count, enqueue), and never let
// it block. Config.Audit takes one; see Example_auditHook.
type AuditHook func(ctx context.Context, e Event)

// auditLevel is the slog level of each kind: failures an operator should
// look at are warnings.
func auditLevel(k EventKind) slog.Level {
	switch k {
	case EventLoginSucceeded, EventSessionRevoked, EventKeysRotated, EventUserSecretBumped:
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// emit reports e to Config.Logger (default: none) and Config.Audit.
func (s *Service) emit(ctx context.Context, e Event) {
	if s.cfg.Logger == nil && s.cfg.Audit == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = s.cfg.Now()
	}
	if e.ClientAddr == "" {
		e.ClientAddr = ClientAddr(ctx)
	}
	if l := s.cfg.Logger; l != nil {
		attrs := make([]slog.Attr, 0, 7)
		attrs = append(attrs, slog.String("event", string(e.Kind)))
		for _, kv := range [...]struct{ k, v string }{
			{"subject", e.Subject}, {"login", e.Login}, {"session", e.SessionID},
			{"client", e.ClientAddr}, {"reason", e.Reason},
		} {
			if kv.v != "" {
				attrs = append(attrs, slog.String(kv.k, kv.v))
			}
		}
		if e.RetryAfter > 0 {
			attrs = append(attrs, slog.Duration("retry_after", e.RetryAfter))
		}
		l.LogAttrs(ctx, auditLevel(e.Kind), "gqljwt security event", attrs...)
	}
	if s.cfg.Audit != nil {
		s.cfg.Audit(ctx, e)
	}
}
