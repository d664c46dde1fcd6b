package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/rueidis"

	"github.com/gqljwt/gqljwt/redisstore"
)

// redisOption reads the -redis flag: a URL as rueidis.ParseURL reads it
// (redis://[user:password@]host:port/db, rediss:// for TLS, unix://, more
// seeds as ?addr=host:port), a URL whose host is a comma-separated list
// of seeds (redis://h1:p1,h2:p2, for a Cluster), or, without a scheme, a
// comma-separated list of host:port seeds. Its errors never repeat the
// value, which may hold a password.
func redisOption(spec string) (rueidis.ClientOption, error) {
	if !strings.Contains(spec, "://") {
		var opt rueidis.ClientOption
		for a := range strings.SplitSeq(spec, ",") {
			if a = strings.TrimSpace(a); a != "" {
				opt.InitAddress = append(opt.InitAddress, a)
			}
		}
		if len(opt.InitAddress) == 0 {
			return opt, errors.New("-redis: no address")
		}
		return opt, nil
	}
	opt, err := rueidis.ParseURL(seedsAsQuery(spec))
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // url.Error quotes the URL, password and all
	}
	if err != nil {
		return opt, fmt.Errorf("-redis: %w", err)
	}
	return opt, nil
}

// seedsAsQuery rewrites redis://h1:p1,h2:p2/0 as redis://h1:p1/0?addr=h2:p2,
// the form rueidis.ParseURL reads.
func seedsAsQuery(spec string) string {
	scheme, rest, _ := strings.Cut(spec, "://")
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hosts := "", authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo, hosts = authority[:at+1], authority[at+1:]
	}
	seeds := strings.Split(hosts, ",")
	if len(seeds) < 2 {
		return spec
	}
	path, query, _ := strings.Cut(tail, "?")
	extra := url.Values{}
	for _, s := range seeds[1:] {
		extra.Add("addr", s)
	}
	if query != "" {
		query += "&"
	}
	return scheme + "://" + userinfo + seeds[0] + path + "?" + query + extra.Encode()
}

// newRedisClient connects to the Redis -redis names, relaying the
// client's invalidations to tr, and describes it, credentials left out,
// for the banner.
func newRedisClient(spec string, tr *redisstore.Tracking) (rueidis.Client, string, error) {
	opt, err := redisOption(spec)
	if err != nil {
		return nil, "", err
	}
	c, err := tr.NewClient(opt)
	if err != nil {
		return nil, "", fmt.Errorf("redis %s: %w", strings.Join(opt.InitAddress, ","), err)
	}
	return c, describeRedis(c.Mode(), opt), nil
}

// describeRedis names the backend as the banner shows it: the mode, the
// seeds, TLS and the database, never a username or password.
func describeRedis(mode rueidis.ClientMode, opt rueidis.ClientOption) string {
	kind := "Redis"
	if mode == rueidis.ClientModeCluster {
		kind = "Redis Cluster"
	}
	d := fmt.Sprintf("%s at %s", kind, strings.Join(opt.InitAddress, ","))
	if opt.TLSConfig != nil {
		d += ", TLS"
	}
	if opt.SelectDB != 0 {
		d += fmt.Sprintf(", database %d", opt.SelectDB)
	}
	if opt.Password != "" || opt.Username != "" {
		d += ", with credentials"
	}
	return d
}
