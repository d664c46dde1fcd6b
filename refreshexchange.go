package gqljwt

import (
	"context"
	"errors"
	"time"
)

// ErrRefreshExpired: RefreshExchanger.Exchange was given a refresh token
// whose ExpiresAt is not after now. Nothing changed.
var ErrRefreshExpired = errors.New("gqljwt: refresh token expired")

// RefreshExchanger is an optional interface of a RefreshStore: a
// refresh's rotation in one step, for stores where each step is a round
// trip (redisstore makes it one script, one round trip on a single node).
// Service.Refresh uses it when the store has it and the refresh rotates.
type RefreshExchanger interface {
	RefreshStore
	// Exchange is Get, the Service's checks of the record, and Rotate, in
	// one atomic step on the record of oldHash. In this order:
	//
	//   - unknown, or kept past its ExpiresAt only for a late client (what
	//     Get answers ErrNotFound for): ErrNotFound and a zero record.
	//     The Service then takes its ordinary path, which decides on
	//     unknown tokens.
	//   - its family revoked: ErrRefreshRevoked, nothing changes.
	//   - rotated, and not less than grace before now (now <
	//     RotatedAt+grace; grace zero included): reuse, as Rotate: the
	//     store revokes the whole family and returns ErrRefreshReused.
	//   - now not before its ExpiresAt: ErrRefreshExpired, nothing
	//     changes.
	//   - otherwise it is rotated as Rotate does it (marked rotated at now
	//     unless it was, within the grace, and next stored in its family),
	//     and Exchange returns nil. Of any number of concurrent calls on a
	//     record not yet rotated exactly one finds it so.
	//
	// Each answer but ErrNotFound comes with the record as Get would have
	// returned it just before the call (Rotated and RotatedAt those of
	// before this rotation). The store takes next's Family, Subject and
	// TokenVersion from that record, as Rotate does; next.Hash must be
	// new (256 random bits), or Exchange fails and stores nothing. now is
	// the Service's clock, as for Rotate; the lifetimes (ErrNotFound
	// above) are judged by the store's own clock, as for Get.
	//
	// The user's checks (Config.Users, Config.Versions) come after
	// Exchange, since only the record names the user: when they refuse,
	// the token is rotated all the same and its successor is never
	// handed out. That is what a reply lost on its way to the client does
	// too, and the grace covers both: the client's retry within it is
	// exchanged again.
	Exchange(ctx context.Context, oldHash string, next RefreshRecord, now time.Time, grace time.Duration) (RefreshRecord, error)
}

// refreshByExchange is Refresh on a RefreshExchanger, one store call.
// done is false, and nothing has changed, when it does not apply: no
// RefreshExchanger, KeepRefreshToken (no rotation), or a token not of
// ours, on which the ordinary path decides.
func (s *Service) refreshByExchange(ctx context.Context, p presentedRefresh, opts RefreshOptions) (sess *Session, done bool, err error) {
	ex, ok := s.cfg.Refresh.(RefreshExchanger)
	// Only a token of ours names its session, which its successor's tag
	// must carry before the store is asked.
	if !ok || opts.KeepRefreshToken || !p.ours {
		return nil, false, nil
	}
	claims := p.claims
	now := s.cfg.Now()
	if !now.Before(claims.expires) {
		return nil, true, errExpiredRefresh
	}
	// The store fills in the subject and version from the record.
	token, next, err := s.newRefreshRecord(claims.family, claims.subject, 0, now)
	if err != nil {
		return nil, true, err
	}
	rec, err := ex.Exchange(ctx, hashToken(p.token), next, now, s.reuseGrace())
	switch {
	case errors.Is(err, ErrNotFound):
		// Get would answer the same: decided as lookupRefresh decides.
		return nil, true, s.unknownRefresh(ctx, p)
	case err == nil && rec.Family != claims.family:
		// The store and the token disagree on the session, as in
		// lookupRefresh: trust neither. The successor, stored in the
		// record's family, is never handed out.
		return nil, true, errInvalidRefresh
	case errors.Is(err, ErrRefreshRevoked):
		return nil, true, errRevokedRefresh
	case errors.Is(err, ErrRefreshReused):
		return nil, true, s.refreshReused(ctx, rec)
	case errors.Is(err, ErrRefreshExpired):
		return nil, true, errExpiredRefresh
	case err != nil:
		return nil, true, ErrUnavailable.WithCause(err)
	}
	u, err := s.currentUser(ctx, rec.Subject, rec.TokenVersion)
	if err != nil {
		return nil, true, err
	}
	sess = &Session{ID: rec.Family, User: u, RefreshToken: token, RefreshExpiresAt: next.ExpiresAt}
	if sess.Access, err = s.issue(ctx, u, rec.Family, time.Time{}); err != nil {
		return nil, true, err
	}
	return sess, true, nil
}
