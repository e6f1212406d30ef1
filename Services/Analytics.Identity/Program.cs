using Analytics.Data.Identity;
using Analytics.Identity;
using Analytics.Identity.Accounts;
using Analytics.Identity.Tokens;
using Microsoft.AspNetCore.Identity;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<IdentitySettings>(IdentitySettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
builder.Services.AddSingleton<Passwords>();
builder.Services.AddSingleton<AccessTokens>();
// Keys first: nothing is signed before they are loaded, and the seeded owner can sign in at once.
builder.Services.AddSingleton<SigningKeys>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<SigningKeys>());
builder.Services.AddHostedService<AccountSeeder>();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapAuthApi();

return await app.RunServiceAsync();
