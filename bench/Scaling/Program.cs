using ManagerVerified.Bench;

// dotnet run -c Release --project bench/Scaling -- [--threads 1,2,4] [--runs 3] [--ms 250] [--only text] [--md file]
return Scaling.Run(args, Console.Out);
