package sourcehash

import "strings"

// pattern is one `ignore` entry, read as an rsync --exclude pattern (the
// engine uploads with rsync [INF]). The rules follow rsync(1), "INCLUDE/
// EXCLUDE PATTERN RULES", and the matching code in rsync's exclude.c.
type pattern struct {
	glob    string // the pattern without its leading and trailing '/'
	dirOnly bool   // a trailing '/' matches directories only
	wild    bool   // contains * ? or [: shell-style matching, else literal
	where   where
}

// where is which part of the relative path a pattern is matched against.
type where int

const (
	matchName where = iota // no '/' and no "**": the final component only
	matchFull              // anchored by a leading '/', or starting with "**"
	matchEnd               // else: the path, or its end after any '/'
)

func compilePattern(raw string) (pattern, bool) {
	p := raw
	// "dir/***" matches the directory and everything in it, which for an
	// exclude is the same as "dir/": an excluded directory takes its subtree.
	if strings.HasSuffix(p, "/***") {
		p = strings.TrimSuffix(p, "***")
	}
	pat := pattern{dirOnly: strings.HasSuffix(p, "/")}
	p = strings.TrimRight(p, "/")
	anchored := strings.HasPrefix(p, "/")
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return pattern{}, false
	}
	pat.glob = p
	pat.wild = strings.ContainsAny(p, "*?[")
	// rsync matches a pattern with an inner '/' and no "**" against the last
	// N components only, but such a pattern can match no other suffix anyway.
	switch {
	case anchored || strings.HasPrefix(p, "**"):
		pat.where = matchFull
	case strings.Contains(p, "/") || strings.Contains(p, "**"):
		pat.where = matchEnd
	default:
		pat.where = matchName
	}
	return pat, true
}

// matches reports whether the pattern excludes rel, a '/'-separated path
// relative to the tree's root.
func (p pattern) matches(rel string, isDir bool) bool {
	if p.dirOnly && !isDir {
		return false
	}
	switch p.where {
	case matchName:
		return p.matchText(rel[strings.LastIndexByte(rel, '/')+1:])
	case matchEnd:
		for {
			if p.matchText(rel) {
				return true
			}
			i := strings.IndexByte(rel, '/')
			if i < 0 {
				return false
			}
			rel = rel[i+1:]
		}
	default:
		return p.matchText(rel)
	}
}

func (p pattern) matchText(text string) bool {
	if !p.wild {
		return p.glob == text
	}
	return wildmatch(p.glob, text)
}

// wildmatch is rsync's wildcard match, byte by byte like rsync's: '*' is any
// run without '/', "**" any run at all, '?' one byte but '/', "[...]" a class
// ('!' or '^' negates, never '/'), and '\' quotes the next byte. As in rsync,
// "**/" needs at least one '/' ("/foo/**/bar" does not match "foo/bar"), and
// a malformed class matches nothing.
func wildmatch(glob, text string) bool {
	for glob != "" {
		switch glob[0] {
		case '*':
			anySlash := strings.HasPrefix(glob, "**")
			glob = strings.TrimLeft(glob, "*")
			if glob == "" {
				return anySlash || !strings.Contains(text, "/")
			}
			for i := 0; i <= len(text); i++ {
				if wildmatch(glob, text[i:]) {
					return true
				}
				if !anySlash && i < len(text) && text[i] == '/' {
					return false
				}
			}
			return false
		case '?':
			if text == "" || text[0] == '/' {
				return false
			}
		case '[':
			rest, ok := matchClass(glob[1:], text)
			if !ok {
				return false
			}
			glob, text = rest, text[1:]
			continue
		case '\\':
			if len(glob) > 1 {
				glob = glob[1:]
			}
			fallthrough
		default:
			if text == "" || text[0] != glob[0] {
				return false
			}
		}
		glob, text = glob[1:], text[1:]
	}
	return text == ""
}

// matchClass matches text's first byte against the class whose body starts
// glob (just after '['), and returns the glob after the closing ']'.
func matchClass(glob, text string) (string, bool) {
	if text == "" || text[0] == '/' {
		return "", false
	}
	c := text[0]
	negated := glob != "" && (glob[0] == '!' || glob[0] == '^')
	if negated {
		glob = glob[1:]
	}
	matched := false
	for i := 0; i < len(glob); i++ {
		if glob[i] == ']' && i > 0 {
			return glob[i+1:], matched != negated
		}
		lo := glob[i]
		if lo == '\\' && i+1 < len(glob) {
			i++
			lo = glob[i]
		}
		hi := lo
		if i+2 < len(glob) && glob[i+1] == '-' && glob[i+2] != ']' {
			hi = glob[i+2]
			if hi == '\\' && i+3 < len(glob) {
				i++
				hi = glob[i+2]
			}
			i += 2
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
	return "", false // no closing ']': rsync aborts the whole match
}
