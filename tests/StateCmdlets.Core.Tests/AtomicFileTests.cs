using System.IO;
using System.Linq;
using System.Text;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class AtomicFileTests
    {
        private static readonly byte[] Old = Encoding.UTF8.GetBytes("{\"old\":true}");
        private static readonly byte[] New = Encoding.UTF8.GetBytes("{\"new\":true}");

        [Fact]
        public void Write_creates_then_replaces_the_content()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "a.json");
            AtomicFile.Write(PhysicalFileSystem.Instance, path, Old);
            Assert.Equal(Old, File.ReadAllBytes(path));
            AtomicFile.Write(PhysicalFileSystem.Instance, path, New);
            Assert.Equal(New, File.ReadAllBytes(path));
            Assert.Equal(new[] { "a.json" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName));
        }

        [Fact]
        public void Steps_are_temp_in_same_folder_write_fsync_close_rename_then_folder_fsync()
        {
            using var dir = new TempDirectory();
            var fs = new FaultyFileSystem();
            string path = Path.Combine(dir.Root, "a.json");
            string? tempFolder = null;
            fs.BeforeReplace = source => tempFolder = Path.GetDirectoryName(source);
            AtomicFile.Write(fs, path, New);

            Assert.Equal(dir.Root, tempFolder);
            var kinds = fs.Operations.Select(o => o.Split(' ')[0]).ToArray();
            Assert.Equal(new[] { "CreateNew", "Write", "Flush", "Close", "Replace", "FlushDirectory" }, kinds);
            Assert.StartsWith("CreateNew .a.json.", fs.Operations[0]);
            Assert.EndsWith(".tmp", fs.Operations[0]);
        }

        [Theory]
        [InlineData("CreateNew")]
        [InlineData("Write")]
        [InlineData("Flush")]
        [InlineData("Replace")]
        public void A_failure_before_the_rename_leaves_the_old_file_byte_identical_and_no_temp(string step)
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "a.json");
            File.WriteAllBytes(path, Old);
            var fs = new FaultyFileSystem { FailOn = step };

            Assert.Throws<IOException>(() => AtomicFile.Write(fs, path, New));

            Assert.Equal(Old, File.ReadAllBytes(path));
            Assert.Equal(new[] { "a.json" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName));
        }

        [Fact]
        public void Create_new_refuses_an_existing_file()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "taken");
            File.WriteAllBytes(path, Old);
            Assert.ThrowsAny<IOException>(() => PhysicalFileSystem.Instance.CreateNew(path).Dispose());
            Assert.Equal(Old, File.ReadAllBytes(path));
        }

        [Fact]
        public void Temp_and_final_files_are_owner_only_on_unix()
        {
            if (!UnixMode.Applies) return;
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "a.json");
            string? tempMode = null;
            var fs = new FaultyFileSystem { BeforeReplace = source => tempMode = UnixMode.Of(source) };
            AtomicFile.Write(fs, path, New);
            Assert.Equal("600", tempMode);
            Assert.Equal("600", UnixMode.Of(path));
        }

        [Fact]
        public void Replacing_keeps_the_old_files_mode_only_when_asked()
        {
            if (!UnixMode.Applies) return;
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "a.json");
            File.WriteAllBytes(path, Old);
            UnixMode.Set(path, "644");

            AtomicFile.Write(PhysicalFileSystem.Instance, path, New, keepPermissions: true);
            Assert.Equal("644", UnixMode.Of(path));

            // Batch files rely on the default: whatever was there, the new file is owner-only.
            AtomicFile.Write(PhysicalFileSystem.Instance, path, Old);
            Assert.Equal("600", UnixMode.Of(path));
            Assert.Equal(Old, File.ReadAllBytes(path));
        }

        [Fact]
        public void A_failure_setting_the_mode_leaves_the_old_file_and_its_mode_and_no_temp()
        {
            if (!UnixMode.Applies) return;
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "a.json");
            File.WriteAllBytes(path, Old);
            UnixMode.Set(path, "644");

            Assert.Throws<IOException>(() => AtomicFile.Write(new FaultyFileSystem { FailOn = "SetUnixMode" }, path, New, keepPermissions: true));

            Assert.Equal(Old, File.ReadAllBytes(path));
            Assert.Equal("644", UnixMode.Of(path));
            Assert.Equal(new[] { "a.json" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName));
        }

        [Fact]
        public void Temp_names_are_recognised_as_belonging_to_their_file_only()
        {
            string temp = AuxiliaryFiles.TempName("b.json");
            Assert.True(AuxiliaryFiles.IsTempNameOf(temp, "b.json"));
            Assert.False(AuxiliaryFiles.IsTempNameOf(temp, "a.json"));
            Assert.NotEqual(temp, AuxiliaryFiles.TempName("b.json"));
        }
    }
}
