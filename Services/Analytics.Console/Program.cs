using Analytics.Console;
using Analytics.Console.Api;
using Analytics.Console.Components;
using Analytics.Console.Sessions;
using Microsoft.FluentUI.AspNetCore.Components;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddValidatedSettings<ConsoleSettings>(ConsoleSettings.SectionName);
var settings = builder.ReadBeforeValidation<ConsoleSettings>(ConsoleSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddConsoleSignIn();
builder.Services.AddSingleton<ConsoleSessions>();
builder.AddConsoleApiClients(settings);
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddFluentUIComponents();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapSignOut();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization();

return await app.RunServiceAsync();
