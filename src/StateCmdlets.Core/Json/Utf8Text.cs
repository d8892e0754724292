namespace StateCmdlets.Core.Json
{
    /// <summary>
    /// Strict UTF-8 checking. JSON text must be UTF-8, and System.Text.Json only finds out when a
    /// string is read (with an exception that names no file), so state files are checked up front.
    /// </summary>
    internal static class Utf8Text
    {
        /// <summary>The offset of the first byte from <paramref name="start"/> that is not well-formed UTF-8, or -1.</summary>
        internal static long FirstInvalidByte(byte[] bytes, int start)
        {
            int i = start;
            while (i < bytes.Length)
            {
                byte b = bytes[i];
                if (b < 0x80)
                {
                    i++;
                    continue;
                }
                // The allowed range of the second byte, and how many bytes follow the first (Unicode table 3-7).
                int more;
                byte low = 0x80, high = 0xBF;
                if (b >= 0xC2 && b <= 0xDF) more = 1;
                else if (b == 0xE0) { more = 2; low = 0xA0; }
                else if (b == 0xED) { more = 2; high = 0x9F; } // not the UTF-16 surrogates
                else if (b >= 0xE1 && b <= 0xEF) more = 2;
                else if (b == 0xF0) { more = 3; low = 0x90; }
                else if (b >= 0xF1 && b <= 0xF3) more = 3;
                else if (b == 0xF4) { more = 3; high = 0x8F; } // nothing past U+10FFFF
                else return i;
                if (i + more >= bytes.Length) return i;
                if (bytes[i + 1] < low || bytes[i + 1] > high) return i;
                for (int k = 2; k <= more; k++)
                    if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return i;
                i += more + 1;
            }
            return -1;
        }
    }
}
