using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.Json;
using StateCmdlets.Core.StateFiles;
using StateCmdlets.Core.Tests.Support;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>What a state file may hold: names PowerShell can tell apart, schemaVersion in any case, text that is not quite Unicode.</summary>
    public sealed class StateFileDocumentTests
    {
        private static readonly CancellationToken None = CancellationToken.None;

        private static JsonElement Json(string text)
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }

        private static string Compact(JsonElement element) => Encoding.UTF8.GetString(JsonText.WriteCompact(w => JsonElementWriter.Write(w, element)));

        [Theory]
        [InlineData("{\"SchemaVersion\":\"1.0.0\",\"x\":1}", "{\"schemaVersion\":\"1.1.0\",\"x\":1}")]
        [InlineData("{\"x\":1,\"SCHEMAVERSION\":\"9.9.9\"}", "{\"x\":1,\"schemaVersion\":\"1.1.0\"}")]
        [InlineData("{\"x\":1}", "{\"schemaVersion\":\"1.1.0\",\"x\":1}")]
        public void Stamping_replaces_schemaVersion_in_any_letter_case_in_its_place(string document, string stamped)
        {
            Assert.Equal(stamped, Compact(StateFileDocument.Stamp(Json(document), new SchemaVersion(1, 1, 0), "f.json")));
        }

        [Fact]
        public void The_version_is_found_in_any_letter_case()
        {
            Assert.Equal(new SchemaVersion(2, 0, 0), StateFileDocument.VersionOf(Json("{\"SchemaVersion\":\"2.0.0\"}"), "f.json"));
            Assert.Equal(SchemaMigrator.Unversioned, StateFileDocument.VersionOf(Json("{\"x\":1}"), "f.json"));
        }

        [Theory]
        [InlineData("{\"a\":1,\"A\":2}", "the top-level object has the property names \"a\" and \"A\"")]
        [InlineData("{\"list\":[{},{\"Name\":1,\"nAME\":2}]}", "the object at $.list[1] has the property names \"Name\" and \"nAME\"")]
        public void Saving_names_that_differ_only_in_case_is_refused_and_the_file_stays_as_it_was(string document, string expected)
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var store = new StateFileStore();
            store.Save(path, Json("{\"kept\":true}"), null, None);
            byte[] before = File.ReadAllBytes(path);

            var saved = Assert.Throws<InvalidStateDocumentException>(() => store.Save(path, Json(document), null, None));
            Assert.Contains(expected, saved.Message);
            var updated = Assert.Throws<InvalidStateDocumentException>(() => store.Update(path, _ => Json(document), new SchemaVersion(1, 0, 0), None));
            Assert.Contains(expected, updated.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
        }

        [Fact]
        public void Reading_names_that_differ_only_in_case_names_both_and_where()
        {
            var e = Assert.Throws<StateFileCorruptException>(() => StateFileDocument.Parse(Encoding.UTF8.GetBytes("{\"o\":{\"id\":1,\"ID\":2}}"), "f.json"));
            Assert.Contains("the object at $.o has the property names \"id\" and \"ID\"", e.Message);
            Assert.Equal(13, e.Offset); // the second name's opening quote
        }

        [Fact]
        public void Bytes_that_are_not_UTF8_are_corrupt_JSON_with_their_offset()
        {
            byte[] bytes = { (byte)'{', (byte)'"', (byte)'x', (byte)'"', (byte)':', (byte)'"', 0xFF, (byte)'"', (byte)'}' };
            var e = Assert.Throws<StateFileCorruptException>(() => StateFileDocument.Parse(bytes, "f.json"));
            Assert.Equal(6, e.Offset);
            Assert.StartsWith("it is not valid JSON", e.Problem);
        }

        [Fact]
        public void Lone_surrogates_in_strings_are_written_back_exactly()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            string original = "{\"x\":\"a\\ud800b\",\"list\":[\"\\udfff\",1],\"n\":1}";
            File.WriteAllText(path, original);
            var store = new StateFileStore();

            store.Update(path, current => current!.Value, new SchemaVersion(1, 0, 0), None);

            string text = File.ReadAllText(path);
            Assert.Contains("\"x\": \"a\\ud800b\"", text);
            Assert.Contains("\"\\udfff\",", text);
            Assert.Equal("{\"schemaVersion\":\"1.0.0\",\"x\":\"a\\ud800b\",\"list\":[\"\\udfff\",1],\"n\":1}", Compact(store.Read(path)));
        }

        [Fact]
        public void A_lone_surrogate_in_a_name_is_read_but_refused_on_write()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, "{\"\\ud800\":1}");
            var store = new StateFileStore();

            Assert.Equal(JsonValueKind.Object, store.Read(path).ValueKind);
            var e = Assert.Throws<InvalidStateDocumentException>(() => store.Update(path, current => current!.Value, null, None));
            Assert.Contains("$['\\ud800']", e.Message);
            Assert.Equal("{\"\\ud800\":1}", File.ReadAllText(path));
        }

        [Fact]
        public void Json_string_literals_decode_and_encode_lone_surrogates_exactly()
        {
            string text = JsonStringLiteral.Decode("\"a\\ud800\\n\\\"\\u00e9\"");
            Assert.Equal(new[] { 'a', '\ud800', '\n', '"', 'é' }, text.ToCharArray());
            Assert.Equal("\"a\\ud800\\n\\\"é\"", JsonStringLiteral.Encode(text));
            Assert.Equal(1, JsonStringLiteral.FirstLoneSurrogate(text));
            Assert.False(JsonStringLiteral.HasLoneSurrogate("😀"));
            Assert.Throws<FormatException>(() => JsonStringLiteral.Decode("\"\\u12\""));
        }

        [Fact]
        public void Json_paths_quote_names_that_are_not_plain()
        {
            var path = new JsonPath();
            path.PushProperty("a");
            path.PushIndex(2);
            path.PushProperty("it's");
            path.PushProperty(string.Empty);
            Assert.Equal("$.a[2]['it\\'s']['']", path.ToString());
            Assert.Equal("$.a", path.ToString(1));
        }
    }
}
