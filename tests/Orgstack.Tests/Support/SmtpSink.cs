using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orgstack.Tests.Support;

/// <summary>
/// A real SMTP server: the one .ci/run started (SMTP_HOST, SMTP_PORT, SMTP_MAILDIR), or else aiosmtpd started here on a
/// free port. Every message it receives becomes a file in &lt;maildir&gt;/new.
/// </summary>
public sealed class SmtpSink : IAsyncLifetime
{
    private Process? process;
    private string? ownDirectory;

    public string Host { get; private set; } = "127.0.0.1";
    public int Port { get; private set; }
    public string MailDirectory { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var host = Environment.GetEnvironmentVariable("SMTP_HOST");
        var port = Environment.GetEnvironmentVariable("SMTP_PORT");
        var dir = Environment.GetEnvironmentVariable("SMTP_MAILDIR");
        if (!string.IsNullOrEmpty(host) && int.TryParse(port, out var p) && !string.IsNullOrEmpty(dir))
        {
            (Host, Port, MailDirectory) = (host, p, dir);
            return;
        }
        ownDirectory = Path.Combine(Path.GetTempPath(), "orgstack-smtp", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(ownDirectory);
        MailDirectory = Path.Combine(ownDirectory, "maildir");
        Port = TestPorts.Free();
        process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}", "-c", "aiosmtpd.handlers.Mailbox", MailDirectory])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("aiosmtpd did not start.");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                if (process.HasExited) throw new InvalidOperationException("aiosmtpd exited: " + await process.StandardError.ReadToEndAsync());
                await Task.Delay(50);
            }
        }
        throw new TimeoutException("aiosmtpd did not open its port.");
    }

    public Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            process.WaitForExit(5000);
        }
        process?.Dispose();
        if (ownDirectory is not null) try { Directory.Delete(ownDirectory, true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    /// <summary>The raw messages received so far whose text contains <paramref name="marker"/>.</summary>
    public IReadOnlyList<string> Messages(string marker)
    {
        var dir = Path.Combine(MailDirectory, "new");
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir).Select(ReadShared).Where(t => t.Contains(marker, StringComparison.Ordinal)).ToList();
    }

    public async Task<IReadOnlyList<string>> WaitForAsync(string marker, int count = 1, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var found = Messages(marker);
            if (found.Count >= count || DateTime.UtcNow > deadline) return found;
            await Task.Delay(50);
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
