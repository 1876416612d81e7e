import chalk from 'chalk'

// chalk 5 does not read NO_COLOR itself (https://no-color.org): a non-empty value turns colour off.
if (process.env.NO_COLOR) chalk.level = 0

export {chalk}
