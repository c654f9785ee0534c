using System.Runtime.InteropServices;

namespace PersonaOps.Cli;

/// <summary>What kind of file system object a path names, following symbolic links.</summary>
internal enum FileKindValue
{
    Missing,
    Regular,
    Directory,
    NamedPipe,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>
/// Tells a regular file from a named pipe or a device before it is opened: opening a FIFO blocks until a
/// writer appears, and a device such as /dev/zero reports length 0 and never ends, so neither may reach
/// <see cref="File.ReadAllBytes(string)"/>.
/// <para>
/// Written by hand because .NET does not expose a file's type (<see cref="FileSystemInfo.Attributes"/> says
/// <c>Normal</c> for all three) and the packages that do (Mono.Unix, Tmds.LibC) bring a native library or
/// are Linux-only. This calls the runtime's own stat shim, <c>SystemNative_Stat</c> in libSystem.Native,
/// which ships with every .NET runtime on Unix and reports the mode bits in one portable layout on Linux
/// and macOS; it is what <see cref="File"/> itself uses. Should the shim ever be missing, the path counts as
/// regular, which is how PersonaOps behaved before.
/// </para>
/// </summary>
internal static class FileKind
{
    public static FileKindValue Of(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.Exists(path) ? FileKindValue.Directory : File.Exists(path) ? FileKindValue.Regular : FileKindValue.Missing;
        }

        // FileStatus in the runtime's pal_io.h: int32 Flags, int32 Mode, then more fields; 256 bytes is
        // more than the whole struct.
        var status = new byte[256];
        try
        {
            if (Stat(path, status) != 0)
            {
                return FileKindValue.Missing;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return Directory.Exists(path) ? FileKindValue.Directory : File.Exists(path) ? FileKindValue.Regular : FileKindValue.Missing;
        }

        return (BitConverter.ToInt32(status, 4) & 0xF000) switch
        {
            0x8000 => FileKindValue.Regular,
            0x4000 => FileKindValue.Directory,
            0x1000 => FileKindValue.NamedPipe,
            0x2000 => FileKindValue.CharacterDevice,
            0x6000 => FileKindValue.BlockDevice,
            0xC000 => FileKindValue.Socket,
            _ => FileKindValue.Other,
        };
    }

    public static string Describe(FileKindValue kind) => kind switch
    {
        FileKindValue.NamedPipe => "a named pipe (FIFO)",
        FileKindValue.CharacterDevice => "a character device",
        FileKindValue.BlockDevice => "a block device",
        FileKindValue.Socket => "a socket",
        FileKindValue.Directory => "a folder",
        _ => "not a regular file",
    };

    // DllImport, not LibraryImport: the generated form needs unsafe code for one blittable call.
#pragma warning disable SYSLIB1054, CA5392
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] status);
#pragma warning restore SYSLIB1054, CA5392
}
