using Analytics.Schemas;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;

namespace Analytics.Tests.Platform.Console;

/// <summary>
/// Debian's Chromium, driven by Playwright, for the console's end-to-end tests: one browser for a
/// test class, a fresh context (cookies, storage) per person, at the 1366×768 the console is made
/// for. Playwright's own browser download cannot be fetched here; Debian's package can
/// (<c>test.sh</c> installs it), and <c>ANALYTICS_CHROMIUM</c> names another binary.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public static readonly string ExecutablePath = Environment.GetEnvironmentVariable("ANALYTICS_CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>Where each test's screenshot of the screen it checked is saved, a test artifact.</summary>
    public static readonly string ScreenshotDirectory = Path.Combine(RepositoryPaths.Root, "TestResults", "console-screenshots");

    /// <summary>How long a page may take to show what a test waits for; the pipeline behind it may be busy.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the browser's errors are written: the running test's output.</summary>
    public Action<string>? Log { get; set; }

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ExecutablePath), $"Chromium is not at {ExecutablePath}: install Debian's chromium package (test.sh does) or set ANALYTICS_CHROMIUM");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // As root in CI Chromium's sandbox cannot start; the pages are our own.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
        });
        Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>A new browser context (no cookies) on the console's address.</summary>
    public async Task<IPage> OpenAsync(PlatformFixture platform, int width = 1366, int height = 768)
    {
        var console = platform.App.GetEndpoint(ResourceNames.Console, "http");
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = console.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        // What went wrong in the page shows in the test's output.
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                Log?.Invoke($"browser {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => Log?.Invoke($"page error: {error}");
        return page;
    }

    /// <summary>A person signed in through the sign-in page, on the inbox.</summary>
    public async Task<IPage> SignInAsync(PlatformFixture platform, string email, string password = TestUsers.Password, int width = 1366, int height = 768)
    {
        var page = await OpenAsync(platform, width, height);
        await page.GotoAsync("/");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Inbox" })).ToBeVisibleAsync();
        // Live once the circuit's change feed is connected: what happens after reaches the page.
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Live" })).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Saves the screen a test checked, named after the test and the step.</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
