using System.Text;
using System.Text.Json;
using StateCmdlets.Core.Batches;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class FeatureDataLimitTests
    {
        private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

        [Fact]
        public void Data_within_the_limit_is_kept_as_it_is()
        {
            var data = Json("{\"a\":[1,2,3]}");
            var fitted = FeatureDataLimit.Fit(data, 13, out bool truncated);
            Assert.False(truncated);
            Assert.Equal(data.GetRawText(), fitted.GetRawText());
        }

        [Theory]
        [InlineData(100)]
        [InlineData(1000)]
        [InlineData(7)]
        public void Larger_data_becomes_the_start_of_its_JSON_text_as_a_string_within_the_limit(int limit)
        {
            // Quotes (escaped in the string) and characters of 2, 3 and 4 bytes: the cut must count them all.
            var data = Json("[" + string.Join(",", System.Linq.Enumerable.Repeat("\"é日😀\\\"x\"", 200)) + "]");
            var fitted = FeatureDataLimit.Fit(data, limit, out bool truncated);
            Assert.True(truncated);
            Assert.Equal(JsonValueKind.String, fitted.ValueKind);
            string text = fitted.GetString()!;
            Assert.StartsWith(text, data.GetRawText());
            Assert.True(Encoding.UTF8.GetByteCount(fitted.GetRawText()) <= limit, fitted.GetRawText());
            // As long as it can be: one more character would not fit.
            Assert.True(text.Length > 0 || limit < 8);
            Assert.False(char.IsHighSurrogate(text.Length > 0 ? text[text.Length - 1] : 'x'), "never half a surrogate pair");
        }
    }
}
