{#-
    How a line and a bet on it settle, shared by fct_line_settlements, fct_bet_settlements and
    fct_bet_ledger so that a recommended bet and a placed one settle by the same rules. Each
    macro renders a SQL expression of the columns it is given.
-#}

{#-
    A line's result: void when the game was postponed or (props) the player did not play in a
    game with boxscores; pending until the result is known (totals: the final score as books
    settle it, NHL overtime and the shootout goal included; props: the game's boxscores);
    over / under against the line; push on it.
-#}
{% macro settle_line_result(
    is_postponed, is_game_total, is_total_final, has_boxscores, player_played, actual_value, line
) -%}
    case
        when {{ is_postponed }} then 'void'
        when {{ is_game_total }} and not {{ is_total_final }} then 'pending'
        when not {{ is_game_total }} and not {{ has_boxscores }} then 'pending'
        when not {{ is_game_total }} and not {{ player_played }} then 'void'
        when {{ actual_value }} is null then 'pending'
        when {{ actual_value }} > {{ line }} then 'over'
        when {{ actual_value }} < {{ line }} then 'under'
        else 'push'
    end
{%- endmacro %}


{#- Why a line is void: postponed, or did_not_play (a prop's player absent from the boxscores). -#}
{% macro settle_void_reason(is_postponed, is_game_total, has_boxscores, player_played) -%}
    case
        when {{ is_postponed }} then 'postponed'
        when
            not {{ is_game_total }} and {{ has_boxscores }} and not {{ player_played }}
            then 'did_not_play'
    end
{%- endmacro %}


{#- A bet's result from its line's: void, pending and push carry over; the side won or lost. -#}
{% macro settle_bet_result(line_result, side) -%}
    case
        when {{ line_result }} in ('void', 'pending', 'push') then {{ line_result }}
        when {{ line_result }} = {{ side }} then 'won'
        else 'lost'
    end
{%- endmacro %}


{#- Units won for a stake of 1 at a decimal price: won dec - 1, lost -1, push and void 0. -#}
{% macro settle_units_won(result, price_decimal) -%}
    case {{ result }}
        when 'won' then {{ price_decimal }} - 1.0
        when 'lost' then -1.0
        when 'push' then 0.0
        when 'void' then 0.0
    end
{%- endmacro %}


{#- Whether a bet's subject names a game (`AWAY @ HOME` or `AWAY at HOME`), not a player. -#}
{% macro is_game_subject(subject) -%}
    (lower({{ subject }}) like '% @ %' or lower({{ subject }}) like '% at %')
{%- endmacro %}
