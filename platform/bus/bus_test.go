package bus

import (
	"regexp"
	"strings"
	"testing"
)

func TestConversationKeyIsATokenAndStable(t *testing.T) {
	users := []string{"cs-1/alice", "cs-1/bob.smith@example.com", "cs-1/with space", "cs-1/*>"}
	token := regexp.MustCompile(`^[a-z2-7]{26}$`)
	seen := map[string]bool{}
	for _, u := range users {
		k := ConversationKey("st-1", u)
		if !token.MatchString(k) {
			t.Errorf("key %q of %q is not a subject token", k, u)
		}
		if k != ConversationKey("st-1", u) {
			t.Errorf("key of %q is not stable", u)
		}
		if seen[k] {
			t.Errorf("two users share key %q", k)
		}
		seen[k] = true
	}
	if ConversationKey("st-1", "cs-1/alice") == ConversationKey("st-2", "cs-1/alice") {
		t.Error("the bot is not part of the key")
	}
}

func TestPartitionSpreadsConversations(t *testing.T) {
	counts := make([]int, 8)
	for i := range 800 {
		p := Partition(ConversationKey("st-1", strings.Repeat("u", i%7)+string(rune('a'+i%26))+string(rune(i))), 8)
		if p < 0 || p >= 8 {
			t.Fatalf("partition %d out of range", p)
		}
		counts[p]++
	}
	for p, n := range counts {
		if n < 40 {
			t.Errorf("partition %d got %d of 800 conversations: %v", p, n, counts)
		}
	}
}

func TestSubjects(t *testing.T) {
	cfg := Config{Partitions: 16, Prefix: "tenant1"}
	k := ConversationKey("st-1", "cs-1/alice")
	subj := cfg.TurnSubject("st-1", k)
	want := regexp.MustCompile(`^tenant1\.parley\.in\.\d+\.st-1\.` + k + `$`)
	if !want.MatchString(subj) {
		t.Fatalf("turn subject %q", subj)
	}
	if ConversationKeyOf(subj) != k {
		t.Fatalf("ConversationKeyOf(%q) = %q", subj, ConversationKeyOf(subj))
	}
	if got := SubjectToken("a.b*c>d e"); got != "a_b_c_d_e" {
		t.Fatalf("SubjectToken = %q", got)
	}
	if got := (Config{}).Subject(SubjectTurns); got != "parley.in" {
		t.Fatalf("unprefixed subject %q", got)
	}
}
