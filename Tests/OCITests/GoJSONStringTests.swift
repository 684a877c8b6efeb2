import GoText
import Testing

/// Go's encoding/json string escaping (the facts: json.Marshal escapes `<>&` by default, U+2028/U+2029 always,
/// other control characters as \u00XX).
@Suite("GoJSONString")
struct GoJSONStringTests {
    @Test func escapesAsGoMarshals() {
        #expect(GoJSONString.quoted("a<b>&c", escapeHTML: true) == #""a\u003cb\u003e\u0026c""#)
        #expect(GoJSONString.quoted("a<b>&c", escapeHTML: false) == #""a<b>&c""#)
        #expect(GoJSONString.quoted("\u{2028}\u{2029}", escapeHTML: false) == #""\u2028\u2029""#)
        #expect(GoJSONString.quoted("\"\\\n\r\t\u{1}\u{1f}", escapeHTML: true) == #""\"\\\n\r\t\u0001\u001f""#)
        #expect(GoJSONString.quoted("é😀/", escapeHTML: true) == "\"é😀/\"")
    }
}
