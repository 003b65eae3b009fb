package entity

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// numSpan is a number found in text.
type numSpan struct {
	start, end int
	val        float64
}

var (
	// digitRe: 45,000 / 1.5 / 1,5 / 12; an optional attached or spaced
	// multiplier (1.5k, 2 million). Word boundaries are checked by hand.
	digitRe = regexp.MustCompile(`(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)(?:(k|m|bn|b)\b|\s*(thousand|million|billion|trillion|lakh|lakhs|crore|crores|hundred)\b)?`)
	wordRe  = regexp.MustCompile(`[a-z]+`)
)

var multipliers = map[string]float64{
	"k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9,
	"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
	"lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7,
}

var units = map[string]float64{
	"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "dozen": 12,
}

var tens = map[string]float64{
	"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

var scales = map[string]float64{"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "lakh": 1e5, "crore": 1e7}

// maxDigits is Kore's limit on a number entity.
const maxDigits = 18

// findNumbers returns every number in s (digits or words), left to right.
func findNumbers(s string) []numSpan { return findNumbersOpt(s, true) }

// findNumbersOpt is findNumbers; letterSuffix=false leaves "5m" and "2k"
// alone, for quantities where the letter is a unit.
func findNumbersOpt(s string, letterSuffix bool) []numSpan {
	ls := lower(s)
	var out []numSpan
	for _, m := range digitRe.FindAllStringSubmatchIndex(ls, -1) {
		start, end := m[0], m[1]
		if !letterSuffix && m[4] >= 0 {
			end, m[4] = m[3], -1
		}
		if start > 0 && (isAlnum(ls[start-1]) || ls[start-1] == '.' || ls[start-1] == ',') {
			continue
		}
		numEnd := m[3]
		if letterSuffix && numEnd < len(ls) && isAlpha(ls[numEnd]) && m[4] < 0 {
			continue // "3rd", "5pm", "10x": not a plain number
		}
		v, ok := parseDigits(ls[m[2]:m[3]])
		if !ok {
			continue
		}
		mul := ""
		if m[4] >= 0 {
			mul = ls[m[4]:m[5]]
		} else if m[6] >= 0 {
			mul = ls[m[6]:m[7]]
		}
		if f, ok := multipliers[mul]; ok {
			v *= f
		}
		if start > 0 && ls[start-1] == '-' && (start == 1 || ls[start-2] == ' ') {
			start--
			v = -v
		}
		out = append(out, numSpan{start: start, end: end, val: v})
	}
	out = append(out, findWordNumbers(ls)...)
	sortNums(out)
	return out
}

func sortNums(n []numSpan) {
	for i := 1; i < len(n); i++ {
		for j := i; j > 0 && n[j].start < n[j-1].start; j-- {
			n[j], n[j-1] = n[j-1], n[j]
		}
	}
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// parseDigits parses "45,000", "1.5" and the decimal comma "1,5".
func parseDigits(t string) (float64, bool) {
	digits := 0
	for i := 0; i < len(t); i++ {
		if isDigit(t[i]) {
			digits++
		}
	}
	if digits > maxDigits {
		return 0, false
	}
	if strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		if i := strings.IndexByte(t, ','); len(t)-i-1 != 3 {
			t = strings.Replace(t, ",", ".", 1)
		}
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(t, ",", ""), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// findWordNumbers parses spelled-out numbers: "twenty five", "one hundred
// and five", "two thousand twenty", "a dozen", and digit-by-digit sequences
// ("one two three" is 123, as in Kore).
func findWordNumbers(ls string) []numSpan {
	words := wordRe.FindAllStringIndex(ls, -1)
	var out []numSpan
	for i := 0; i < len(words); {
		n, consumed := parseWordNumber(ls, words[i:])
		if consumed == 0 {
			i++
			continue
		}
		out = append(out, numSpan{start: words[i][0], end: words[i+consumed-1][1], val: n})
		i += consumed
	}
	return out
}

func isNumberWord(w string) bool {
	_, u := units[w]
	_, t := tens[w]
	_, s := scales[w]
	return u || t || s || w == "hundred"
}

// parseWordNumber parses the longest number starting at words[0] and
// returns how many words it used (0: none).
func parseWordNumber(ls string, words [][]int) (float64, int) {
	r := wordRun{ls: ls, words: words}
	w0 := r.word(0)
	if w0 == "oh" {
		return 0, 0
	}
	if w0 == "a" || w0 == "an" {
		return r.articleNumber()
	}
	if !isNumberWord(w0) || w0 == "hundred" || scales[w0] > 0 {
		return 0, 0
	}
	if v, n := r.digitByDigit(); n > 0 {
		return v, n
	}
	return r.compound()
}

// wordRun is a run of words of ls, as [start, end) byte offsets.
type wordRun struct {
	ls    string
	words [][]int
}

func (r wordRun) word(i int) string { return r.ls[r.words[i][0]:r.words[i][1]] }

// adjacent reports whether word i follows word i-1 across nothing but
// spaces or hyphens: the words of one number.
func (r wordRun) adjacent(i int) bool {
	gap := r.ls[r.words[i-1][1]:r.words[i][0]]
	return strings.Trim(gap, " -") == "" && len(gap) <= 3
}

// articleNumber reads "a hundred", "a dozen", "a million": the article
// stands for one.
func (r wordRun) articleNumber() (float64, int) {
	if len(r.words) > 1 && r.adjacent(1) {
		if w := r.word(1); w == "hundred" || w == "dozen" || scales[w] > 0 {
			v, n := parseWordNumber(r.ls, r.words[1:])
			if n > 0 {
				return v, n + 1
			}
		}
	}
	return 0, 0
}

// digitByDigit reads two or more single digits in a row ("four two") as the
// digits of one number; it uses no word (0) when the run is not one.
func (r wordRun) digitByDigit() (float64, int) {
	d, ok := units[r.word(0)]
	if !ok || d >= 10 {
		return 0, 0
	}
	n := 1
	digits := strconv.Itoa(int(d))
	for n < len(r.words) && r.adjacent(n) {
		v, ok := units[r.word(n)]
		if !ok || v >= 10 {
			break
		}
		digits += strconv.Itoa(int(v))
		n++
	}
	if n < 2 || len(digits) > maxDigits {
		return 0, 0
	}
	v, _ := strconv.ParseFloat(digits, 64)
	return v, n
}

// compound reads a number in words ("two hundred and five thousand").
func (r wordRun) compound() (float64, int) {
	var num wordNumber
	n := 0
	for n < len(r.words) {
		if n > 0 && !r.adjacent(n) {
			break
		}
		if !num.add(r, n) {
			break
		}
		n++
	}
	if num.last == "and" {
		n--
	}
	if n == 0 {
		return 0, 0
	}
	return num.total + num.cur, n
}

// wordNumber is a number in words read so far: the completed scales, the
// group under way and the kind of the last word (unit, teen, tens, hundred,
// scale, and).
type wordNumber struct {
	total, cur float64
	last       string
}

// add takes word n of r into the number, or reports false where the number
// ends before it.
func (num *wordNumber) add(r wordRun, n int) bool {
	w := r.word(n)
	switch {
	case w == "and":
		if num.last != "hundred" && num.last != "scale" {
			return false
		}
		if n+1 >= len(r.words) || !isNumberWord(r.word(n+1)) {
			return false
		}
		num.last = "and"
	case units[w] > 0 || w == "zero":
		v := units[w]
		if num.last == "unit" || num.last == "teen" || (num.last == "tens" && v >= 10) {
			return false
		}
		num.cur += v
		if v >= 10 {
			num.last = "teen"
		} else {
			num.last = "unit"
		}
	case tens[w] > 0:
		if num.last == "unit" || num.last == "teen" || num.last == "tens" {
			return false
		}
		num.cur += tens[w]
		num.last = "tens"
	case w == "hundred":
		if num.last == "hundred" || num.last == "scale" && num.cur == 0 {
			return false
		}
		if num.cur == 0 {
			num.cur = 1
		}
		num.cur *= 100
		num.last = "hundred"
	case scales[w] > 0:
		if num.cur == 0 {
			num.cur = 1
		}
		num.total += num.cur * scales[w]
		num.cur = 0
		num.last = "scale"
	default:
		return false
	}
	return true
}

func extractNumber(text, lang string) (span, bool) {
	nums := findNumbers(text)
	if local := localNumbers(lang, text); len(local) > 0 {
		nums = append(nums, local...)
		sort.SliceStable(nums, func(i, j int) bool { return nums[i].start < nums[j].start })
	}
	if len(nums) == 0 {
		return span{}, false
	}
	n := nums[0]
	return span{start: n.start, end: n.end, value: n.val}, true
}
